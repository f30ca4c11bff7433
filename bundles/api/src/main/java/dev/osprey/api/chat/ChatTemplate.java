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
}
