package dev.osprey.api.chat;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One message of a conversation.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the parts of the content, in order; text only for text models
 * @param toolCalls the calls an assistant message makes; empty otherwise
 * @param toolCallId for a {@code tool} message, the call it answers; empty otherwise
 * @param reasoning the assistant's thinking, kept apart from the answer (Qwen3, DeepSeek-R1); may be empty
 */
public record ChatMessage(
        String role, List<ContentPart> content, List<ToolCall> toolCalls, String toolCallId, String reasoning) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
        toolCalls = List.copyOf(toolCalls);
        toolCallId = toolCallId == null ? "" : toolCallId;
        reasoning = reasoning == null ? "" : reasoning;
    }

    /** A text-only message. */
    public static ChatMessage of(String role, String text) {
        return new ChatMessage(role, List.of(ContentPart.text(text)), List.of(), "", "");
    }

    /** The text parts joined, media left out. */
    public String text() {
        return content.stream()
                .filter(ContentPart::isText)
                .map(ContentPart::value)
                .collect(Collectors.joining());
    }
}
