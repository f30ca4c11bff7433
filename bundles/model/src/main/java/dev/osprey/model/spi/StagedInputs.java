package dev.osprey.model.spi;

import java.util.List;

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
 * @param attentionBlocks (B, T) int64 or null: new tokens of a row with the same non-negative id see each other
 *        both ways, on top of the causal (and sliding-window) mask and within the padding mask; -1 keeps a token
 *        causal. transformers' {@code block_sequence_ids}: PaliGemma's prefix (image and prompt) is one block, each
 *        of Gemma 3's images is a block of its own. Only this pass's tokens are grouped (a prefill's), so cached
 *        keys of earlier passes are seen causally
 * @param layerAdditions (B, T, H) each: what is added to the output of decoder layer {@code i}, for the first
 *        {@code layerAdditions.size()} layers (Qwen3-VL's DeepStack: the merged features of chosen vision layers at
 *        the image tokens, zeros elsewhere); empty for none
 */
public record StagedInputs(
        NDArray embeddings,
        NDArray ropePositions,
        long[] positionShift,
        NDArray attentionBlocks,
        List<NDArray> layerAdditions) {

    public StagedInputs {
        if (embeddings == null || ropePositions == null) {
            throw new IllegalArgumentException("a media stage must return embeddings and positions");
        }
        layerAdditions = layerAdditions == null ? List.of() : List.copyOf(layerAdditions);
    }

    /** Inputs without additions to the layers' outputs. */
    public StagedInputs(NDArray embeddings, NDArray ropePositions, long[] positionShift, NDArray attentionBlocks) {
        this(embeddings, ropePositions, positionShift, attentionBlocks, List.of());
    }

    /** Inputs whose attention stays causal. */
    public StagedInputs(NDArray embeddings, NDArray ropePositions, long[] positionShift) {
        this(embeddings, ropePositions, positionShift, null);
    }
}
