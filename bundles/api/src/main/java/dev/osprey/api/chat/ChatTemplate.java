package dev.osprey.api.chat;

import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.Extension;

/**
 * Turns a conversation into the segments a model reads, marking which are trainable; the platform then
 * tokenizes the segments into token ids and a loss mask. {@link #name()} is what registry entries and
 * {@code --template} refer to ({@code chatml}, {@code qwen3}, {@code llama3}, ...).
 *
 * <p>Stateless and thread-safe. A job or server renders with the template it looked up when it started;
 * if the template's bundle goes away, new jobs fall back to the model's own Jinja template or fail with
 * a message naming the missing template.
 */
@ConsumerType
public interface ChatTemplate extends Extension {

    /**
     * Renders {@code conversation}.
     *
     * @throws IllegalArgumentException when the conversation breaks the template's rules (a role it does
     *         not know, a system message where none is allowed), naming the message index at fault
     */
    List<Segment> render(Conversation conversation, RenderOptions options);

    /** Strings that end the assistant's turn, beyond the tokenizer's EOS. */
    default Set<String> stopStrings() {
        return Set.of();
    }

    /** The tool calls in a completion, for templates that support tools; none by default. */
    default List<ToolCall> parseToolCalls(String completion) {
        return List.of();
    }

    /**
     * Splits a completion of a prompt rendered with {@code options} into its thinking, its answer and its tool
     * calls. While generating ({@code finished} false) the parts that may still change are held back: the content
     * stops before anything that may be the start of a tool call, and only closed calls are listed, so that each
     * later result extends the earlier one (a server streams the differences).
     *
     * <p>By default: no thinking, and {@link #parseToolCalls} on the finished text (the text is content when there
     * are no calls); while generating, the text is content when the template has no tool syntax
     * ({@link #toolCallOpening} empty), else held back to the end.
     */
    default ParsedCompletion parseCompletion(String completion, boolean finished, RenderOptions options) {
        if (!finished) {
            return ParsedCompletion.text(toolCallOpening(null).isEmpty() ? completion : "");
        }
        List<ToolCall> calls = parseToolCalls(completion);
        return new ParsedCompletion("", calls.isEmpty() ? completion : "", calls, true);
    }

    /**
     * The text that opens a call of {@code function} in this template's tool syntax, up to where its arguments
     * begin (Hermes: <code>&lt;tool_call&gt;\n{"name": "f", "arguments": </code>), so that a server can force the
     * call by writing it after the generation prompt; with {@code function} null, the opening up to where the
     * name begins. Empty when the template has no tool syntax.
     */
    default String toolCallOpening(String function) {
        return "";
    }

    /** The marker that ends the thinking ({@code </think>}), for a thinking budget; empty for a template without one. */
    default String thinkingEnd() {
        return "";
    }
}
