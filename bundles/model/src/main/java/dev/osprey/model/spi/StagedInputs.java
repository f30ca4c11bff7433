package dev.osprey.model.spi;

import ai.djl.ndarray.NDArray;

/**
 * What a {@link MediaStage} hands the decoder's layers.
 *
 * @param embeddings (B, T, H) the token embeddings with the media's features in their placeholders
 * @param ropePositions what the layout's {@link RotaryEmbedding#cosSin} reads: the (B, T) positions it was given,
 *        or the family's own kind (M-RoPE's (3, B, T) temporal, height and width positions)
 * @param positionShift per row, how much later passes over the same cache shift their text positions (M-RoPE's
 *        {@code rope_deltas}: text after an image continues from the image's largest position), added to what
 *        earlier passes shifted; null for none
 */
public record StagedInputs(NDArray embeddings, NDArray ropePositions, long[] positionShift) {

    public StagedInputs {
        if (embeddings == null || ropePositions == null) {
            throw new IllegalArgumentException("a media stage must return embeddings and positions");
        }
    }
}
