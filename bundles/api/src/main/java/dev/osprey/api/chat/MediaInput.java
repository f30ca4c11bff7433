package dev.osprey.api.chat;

import java.util.Objects;

/**
 * An image, video or audio part of a conversation at its place in the token ids: a multimodal family's
 * encoder turns it into embeddings inserted (or expanded) at {@code position}.
 *
 * @param position the index in {@link EncodedPrompt#inputIds()} before which the media's tokens go
 * @param part the content part (its type and reference)
 */
public record MediaInput(int position, ContentPart part) {

    public MediaInput {
        Objects.requireNonNull(part, "part");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
    }
}
