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
 *
 * <p>Qwen3-VL interleaves the axes instead ({@code mrope_interleaved}): frequency j follows the height when
 * {@code j % 3 == 1} and {@code j < 3·section[1]}, the width when {@code j % 3 == 2} and {@code j < 3·section[2]},
 * else the temporal position.
 */
final class MRope implements RotaryEmbedding {

    private final RotaryEmbedding plain;
    private final int[] section;
    private final boolean interleaved;

    /** @param interleaved Qwen3-VL's interleaved axes rather than Qwen2-VL's consecutive sections */
    MRope(RotaryEmbedding plain, int[] section, boolean interleaved) {
        this.plain = plain;
        this.section = section.clone();
        this.interleaved = interleaved;
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
        if (interleaved) {
            return interleave(axes, which);
        }
        List<NDArray> chunks = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < 6; i++) {
            int size = section[i % 3];
            chunks.add(axes[i % 3][which].get(new NDIndex("..., {}:{}", from, from + size))); // (B, 1, T, size)
            from += size;
        }
        return NDArrays.concat(new ai.djl.ndarray.NDList(chunks), -1); // (B, 1, T, D)
    }

    /** Table {@code which} with each of the D / 2 frequencies (in both halves) from its interleaved axis. */
    private NDArray interleave(NDArray[][] axes, int which) {
        NDArray like = axes[0][which]; // (B, 1, T, D)
        int d = Math.toIntExact(like.getShape().getLastDimension());
        int half = d / 2;
        float[][] masks = new float[3][d]; // one-hot: which axis each feature follows
        for (int feature = 0; feature < d; feature++) {
            int j = feature % half;
            int axis = (j % 3 == 1 && j < 3 * section[1]) ? 1 : (j % 3 == 2 && j < 3 * section[2]) ? 2 : 0;
            masks[axis][feature] = 1f;
        }
        NDArray table = null;
        for (int axis = 0; axis < 3; axis++) {
            NDArray mask = like.getManager().create(masks[axis]).toType(like.getDataType(), false); // (D)
            NDArray part = axes[axis][which].mul(mask);
            table = table == null ? part : table.add(part);
        }
        return table;
    }

    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return plain.apply(x, cosSin);
    }
}
