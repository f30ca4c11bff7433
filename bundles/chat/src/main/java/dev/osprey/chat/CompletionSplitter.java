package dev.osprey.chat;

import java.util.List;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.chat.Segment;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.chat.agent.AgentFormats;

/**
 * Splits a completion into thinking, content and tool calls, as vLLM's reasoning and tool parsers do: the text
 * between {@code <think>} and {@code </think>} is the thinking (all of it up to {@code </think>} when the prompt
 * already opened the block, as DeepSeek-R1's generation prompt does), the text from the first call on is read by the
 * template's {@link ToolSyntax}, and the rest is content.
 *
 * <p>While generating, whatever may still change is held back (the thinking's trailing newlines, a partial
 * {@code </think>} or call marker, content whitespace before a possible call), so that each split of a longer text
 * extends the previous one: a stream sends the differences. Thread-safe.
 */
public final class CompletionSplitter {

    public static final String THINK_START = "<think>";
    public static final String THINK_END = "</think>";

    private final boolean thinking;
    private final boolean opensThinking;
    private final ToolSyntax tools;

    /**
     * @param thinking the template's model writes {@code <think>} blocks
     * @param opensThinking the prompt ends inside an open {@code <think>} block
     * @param tools the call syntax, or null for a template without tools
     */
    public CompletionSplitter(boolean thinking, boolean opensThinking, ToolSyntax tools) {
        this.thinking = thinking;
        this.opensThinking = opensThinking;
        this.tools = tools;
    }

    /** Qwen's and NousResearch's {@code <tool_call>} JSON calls, the syntax of the chatml and qwen3 templates. */
    public static ToolSyntax hermes() {
        return AgentFormats.find("hermes").orElseThrow();
    }

    /**
     * Whether {@code template}'s generation prompt, rendered with {@code options}' template arguments, leaves the
     * model inside a {@code <think>} block (DeepSeek-R1 ends its prompt with {@code <think>\n}).
     */
    public static boolean opensThinking(ChatTemplate template, RenderOptions options) {
        StringBuilder prompt = new StringBuilder();
        for (Segment s : template.render(
                Conversation.of(List.of(ChatMessage.of("user", "?"))),
                new RenderOptions(true, RenderOptions.ALL_ASSISTANT, options.templateArgs()))) {
            if (Segment.TEXT.equals(s.kind())) {
                prompt.append(s.text());
            }
        }
        return prompt.toString().stripTrailing().endsWith(THINK_START);
    }

    public ParsedCompletion split(String text, boolean finished) {
        String reasoning = "";
        String rest = text;
        boolean ended = true;
        if (thinking) {
            String lead = stripLeading(text);
            boolean opened = opensThinking || lead.startsWith(THINK_START);
            if (!opened && !finished && THINK_START.startsWith(lead)) {
                return ParsedCompletion.text(""); // the model may be writing <think>
            }
            if (opened) {
                String inside = lead.startsWith(THINK_START) ? lead.substring(THINK_START.length()) : text;
                int end = inside.indexOf(THINK_END);
                if (end < 0) {
                    // still thinking (or cut off while thinking): no content yet
                    String r =
                            finished ? inside : inside.substring(0, inside.length() - partialSuffix(inside, THINK_END));
                    return new ParsedCompletion(trimReasoning(r), "", List.of(), false);
                }
                reasoning = trimReasoning(inside.substring(0, end));
                rest = inside.substring(end + THINK_END.length());
            }
        }
        rest = stripLeadingNewlines(rest);
        if (tools == null) {
            return new ParsedCompletion(reasoning, rest, List.of(), ended);
        }
        int first = tools.firstCall(rest);
        if (first < 0) {
            String content = finished
                    ? rest
                    : rest.substring(0, tools.certainContent(rest)).stripTrailing();
            return new ParsedCompletion(reasoning, content, List.of(), ended);
        }
        List<ToolCall> calls = tools.parse(rest.substring(first), finished);
        if (finished && calls.isEmpty()) {
            return new ParsedCompletion(reasoning, rest, List.of(), ended); // not a call after all: all content
        }
        return new ParsedCompletion(reasoning, rest.substring(0, first).stripTrailing(), calls, ended);
    }

    /** The thinking without the newlines around it (while generating, trailing newlines wait for what follows). */
    private static String trimReasoning(String r) {
        String s = stripLeadingNewlines(r);
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '\n') {
            end--;
        }
        return s.substring(0, end);
    }

    /** The length of the longest suffix of {@code s} that is a proper prefix of {@code marker}. */
    static int partialSuffix(String s, String marker) {
        for (int n = Math.min(s.length(), marker.length() - 1); n > 0; n--) {
            if (s.endsWith(marker.substring(0, n))) {
                return n;
            }
        }
        return 0;
    }

    private static String stripLeading(String s) {
        return s.stripLeading();
    }

    private static String stripLeadingNewlines(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') {
            i++;
        }
        return s.substring(i);
    }
}
