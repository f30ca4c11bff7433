package dev.osprey.model.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The interleaved rotary embedding of GLM, Cohere and ERNIE: the first {@code dim} features of each head rotate as
 * pairs of neighbours ({@code (x0, x1), (x2, x3), ...}) instead of Llama's two halves; the rest pass through. The
 * frequencies (and any scaling of them) are those of another embedding over the same width, usually {@link
 * Blocks#rope}.
 */
public final class InterleavedRope implements RotaryEmbedding {

    private final RotaryEmbedding frequencies;
    private final int dim;

    /**
     * @param frequencies the platform's RoPE over {@code dim} rotated features: its inverse frequencies and
     *        its cos/sin tables, laid out as {@code cat(f, f)}
     * @param dim the rotated features per head, even
     */
    public InterleavedRope(RotaryEmbedding frequencies, int dim) {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException(
                    "the rotary width (head_dim, or its rotated part) must be even and positive, was " + dim);
        }
        this.frequencies = frequencies;
        this.dim = dim;
    }

    /** The rotated features per head. */
    public int dim() {
        return dim;
    }

    @Override
    public boolean dependsOnLength() {
        return frequencies.dependsOnLength();
    }

    @Override
    public float[] inverseFrequencies(int length) {
        float[] inv = frequencies.inverseFrequencies(length);
        if (inv.length * 2 != dim) {
            throw new IllegalStateException(
                    "the rotary embedding has " + inv.length + " frequencies for " + dim + " rotated features");
        }
        return inv;
    }

    /**
     * @return {cos, sin, rotation}: cos and sin each (B, 1, T, dim) with every frequency repeated for its pair
     *         ({@code f0, f0, f1, f1, ...}), and the (dim, dim) matrix R with x·R the pairwise rotation
     */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        NDArray[] halves = frequencies.cosSin(positions, inverseFrequencies, dataType); // cos, sin: (B, 1, T, dim)
        return new NDArray[] {pairwise(halves[0]), pairwise(halves[1]), pairRotation(positions.getManager(), dataType)};
    }

    /** @param x (B, heads, T, D) @return (B, heads, T, D), the first dim features rotated */
    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        long headDim = x.getShape().getLastDimension();
        if (headDim == dim) {
            return x.mul(cosSin[0]).add(x.matMul(cosSin[2]).mul(cosSin[1]));
        }
        NDArray rotated = x.get(new NDIndex("..., :{}", dim)); // (B, heads, T, dim)
        NDArray passed = x.get(new NDIndex("..., {}:", dim)); // (B, heads, T, D - dim)
        return rotated.mul(cosSin[0])
                .add(rotated.matMul(cosSin[2]).mul(cosSin[1]))
                .concat(passed, -1);
    }

    /**
     * Transformers' {@code cos[..., :dim/2].repeat_interleave(2)}.
     *
     * @param table (B, 1, T, dim) as {@code cat(f, f)}
     * @return (B, 1, T, dim) as {@code f0, f0, f1, f1, ...}
     */
    private NDArray pairwise(NDArray table) {
        Shape shape = table.getShape();
        NDArray half = table.get(new NDIndex("..., :{}", dim / 2)); // (B, 1, T, dim/2)
        return half.stack(half, -1).reshape(shape); // (B, 1, T, dim/2, 2) -> (B, 1, T, dim)
    }

    /**
     * R (dim, dim) with x·R = (-x1, x0, -x3, x2, ...), transformers' interleaved {@code rotate_half}, as one
     * product; each output is one input times ±1, so the values are exact.
     */
    private NDArray pairRotation(NDManager manager, DataType dataType) {
        float[] r = new float[dim * dim];
        for (int i = 0; i < dim; i += 2) {
            r[(i + 1) * dim + i] = -1f; // output i takes -x[i + 1]
            r[i * dim + i + 1] = 1f; // output i + 1 takes x[i]
        }
        return manager.create(r, new Shape(dim, dim)).toType(dataType, false);
    }
}
