package dev.osprey.api.chat;

import java.util.List;

/**
 * A completion split as a chat answer: the thinking, the answer text and the tool calls, as OpenAI's
 * {@code reasoning_content}, {@code content} and {@code tool_calls}.
 *
 * @param reasoning the thinking ({@code <think>...</think>}), without its markers; empty for none
 * @param content the text outside the thinking and the tool calls; empty for none
 * @param toolCalls the calls, in order; empty for none
 * @param reasoningEnded true when the thinking is over (its end marker was generated, or there is no thinking)
 */
public record ParsedCompletion(String reasoning, String content, List<ToolCall> toolCalls, boolean reasoningEnded) {

    public ParsedCompletion {
        reasoning = reasoning == null ? "" : reasoning;
        content = content == null ? "" : content;
        toolCalls = List.copyOf(toolCalls);
    }

    /** Plain text: no thinking, no calls. */
    public static ParsedCompletion text(String content) {
        return new ParsedCompletion("", content, List.of(), true);
    }
}
