package dev.osprey.api.inference;

import java.util.Set;

import dev.osprey.api.chat.ContentPart;

/**
 * A model name a session answers to, as listed by {@code GET /v1/models}.
 *
 * @param id the name requests put in {@code model}
 * @param parent for a LoRA adapter, the base model's id; empty for a base model
 * @param maxModelLength the context length in tokens
 * @param inputs the content part types it reads ({@link ContentPart#TEXT}, {@link ContentPart#IMAGE},
 *        {@link ContentPart#VIDEO}, {@link ContentPart#AUDIO}); the server refuses a request with any other
 *        part rather than let the model read it as unknown tokens
 * @since 1.1 (inputs)
 */
public record ServedModel(String id, String parent, int maxModelLength, Set<String> inputs) {

    /** What a text-only model reads. */
    public static final Set<String> TEXT_ONLY = Set.of(ContentPart.TEXT);

    /** Every content part type: for a session that cannot tell and leaves the check to the server it forwards to. */
    public static final Set<String> ANY_INPUT =
            Set.of(ContentPart.TEXT, ContentPart.IMAGE, ContentPart.VIDEO, ContentPart.AUDIO);

    public ServedModel {
        inputs = inputs == null || inputs.isEmpty() ? TEXT_ONLY : Set.copyOf(inputs);
    }

    /** A text-only model. */
    public ServedModel(String id, String parent, int maxModelLength) {
        this(id, parent, maxModelLength, TEXT_ONLY);
    }

    /** True when the model reads content parts of {@code type}. */
    public boolean accepts(String type) {
        return inputs.contains(type);
    }
}
