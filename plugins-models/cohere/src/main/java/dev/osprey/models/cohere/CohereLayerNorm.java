package dev.osprey.models.cohere;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Weight;

/**
 * Cohere's LayerNorm: {@code weight · (x - mean(x)) / sqrt(var(x) + eps)} over the last axis in float32, with a
 * scale and no bias ({@code CohereLayerNorm}). The q/k norms have one scale per head: their weight is
 * (heads, D) and each head's features are normed on their own.
 */
final class CohereLayerNorm implements Norm {

    private final Weight weight;
    private final double eps;
    private final long heads;

    private CohereLayerNorm(Weight weight, double eps, long heads) {
        this.weight = weight;
        this.eps = eps;
        this.heads = heads;
    }

    /** The hidden-state norms: one scale of {@code size} features, {@code MODULE.weight}. */
    static NormFactory factory(double eps) {
        return (parameters, module, size) -> new CohereLayerNorm(parameters.ones(module + ".weight", size), eps, 0);
    }

    /**
     * Cohere's {@code q_norm} (heads, D) and {@code k_norm} (kvHeads, D), told apart by their module name.
     */
    static NormFactory qkNorms(double eps, int heads, int kvHeads) {
        return (parameters, module, size) ->
                perHead(eps, module.endsWith("q_norm") ? heads : kvHeads).create(parameters, module, size);
    }

    /**
     * The q/k norms: a (heads, D) scale, applied to queries or keys laid out (B, heads, T, D).
     *
     * @param heads query heads for {@code q_norm}, key/value heads for {@code k_norm}
     */
    static NormFactory perHead(double eps, long heads) {
        return (parameters, module, size) -> {
            Weight w = parameters.normal(module + ".weight", heads, size); // (heads, D)
            // the Parameters SPI fills only one-axis weights with ones; a fresh norm must scale by one as
            // transformers initialises it (a checkpoint's weights replace these)
            w.get().set(new NDIndex(":"), 1f); // (heads, D) filled in place
            return new CohereLayerNorm(w, eps, heads);
        };
    }

    /** @param x (..., size), or (B, heads, T, D) for a per-head norm @return the same shape, in x's data type */
    @Override
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray x32 = x.toType(DataType.FLOAT32, false); // (..., D)
        NDArray centred = x32.sub(x32.mean(new int[] {-1}, true)); // (..., D)
        NDArray variance = Scalars.pow(centred, 2).mean(new int[] {-1}, true); // (..., 1), biased as torch's mean
        NDArray normed = centred.div(Scalars.add(variance, eps).sqrt()); // (..., D)
        NDArray scale = weight.get().toType(DataType.FLOAT32, false); // (D) or (heads, D)
        if (heads > 0) {
            Shape s = scale.getShape();
            scale = scale.reshape(heads, 1, s.get(1)); // (heads, 1, D), against (B, heads, T, D)
        }
        return normed.mul(scale).toType(type, false);
    }
}
