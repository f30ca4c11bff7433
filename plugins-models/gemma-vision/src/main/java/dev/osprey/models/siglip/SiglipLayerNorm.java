package dev.osprey.models.siglip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Weight;

/** torch's LayerNorm over the last axis with a scale ({@code MODULE.weight}) and a bias ({@code MODULE.bias}). */
public final class SiglipLayerNorm implements Norm {

    private final Weight weight;
    private final Weight bias;
    private final long size;
    private final float eps;

    private SiglipLayerNorm(Weight weight, Weight bias, long size, double eps) {
        this.weight = weight;
        this.bias = bias;
        this.size = size;
        this.eps = (float) eps;
    }

    /** LayerNorms of {@code eps} ({@code layer_norm_eps}). */
    public static NormFactory factory(double eps) {
        return (p, module, size) ->
                new SiglipLayerNorm(p.ones(module + ".weight", size), p.zeros(module + ".bias", size), size, eps);
    }

    /** (..., size) to (..., size). */
    @Override
    public NDArray forward(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(size), weight.get(), bias.get(), eps)
                .singletonOrThrow();
    }
}
