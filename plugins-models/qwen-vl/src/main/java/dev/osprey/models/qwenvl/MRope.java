package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Qwen2-VL's multimodal rotary embedding (M-RoPE): each token has a temporal, a height and a width position
 * (3, B, T); the first {@code section[0]} frequencies of a head turn with the temporal one, the next
 * {@code section[1]} with the height and the last {@code section[2]} with the width, in both halves of the head
 * (transformers' {@code apply_multimodal_rotary_pos_emb}). Text tokens have three equal positions, where it is the
 * plain rotary embedding, which it wraps for the frequencies, the tables and the rotation.
 */
final class MRope implements RotaryEmbedding {

    private final RotaryEmbedding plain;
    private final int[] section;

    MRope(RotaryEmbedding plain, int[] section) {
        this.plain = plain;
        this.section = section.clone();
    }

    @Override
    public boolean dependsOnLength() {
        return plain.dependsOnLength();
    }

    @Override
    public float[] inverseFrequencies(int length) {
        return plain.inverseFrequencies(length);
    }

    /**
     * @param positions (3, B, T) temporal, height and width positions, or (B, T) text positions
     * @return cos and sin (B, 1, T, D), each feature taking its axis' table, and the plain half-rotation
     */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        if (positions.getShape().dimension() == 2) {
            return plain.cosSin(positions, inverseFrequencies, dataType);
        }
        NDArray[][] axes = new NDArray[3][];
        for (int axis = 0; axis < 3; axis++) {
            axes[axis] = plain.cosSin(positions.get(axis), inverseFrequencies, dataType); // cos, sin (B, 1, T, D)
        }
        return new NDArray[] {pick(axes, 0), pick(axes, 1), axes[0][2]};
    }

    /** Table {@code which} (0 cos, 1 sin) with features [s0 | s1 | s2 | s0 | s1 | s2] from axes t, h, w. */
    private NDArray pick(NDArray[][] axes, int which) {
        List<NDArray> chunks = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < 6; i++) {
            int size = section[i % 3];
            chunks.add(axes[i % 3][which].get(new NDIndex("..., {}:{}", from, from + size))); // (B, 1, T, size)
            from += size;
        }
        return NDArrays.concat(new ai.djl.ndarray.NDList(chunks), -1); // (B, 1, T, D)
    }

    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return plain.apply(x, cosSin);
    }
}
