package dev.osprey.models.qwenvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Weight;

/** torch's LayerNorm with a scale and a bias over the last axis, eps 1e-6 as Qwen2-VL's vision tower builds it. */
final class VisionLayerNorm implements Norm {

    /** Qwen2-VL's vision norms, {@code MODULE.weight} and {@code MODULE.bias}. */
    static final NormFactory FACTORY = (p, module, size) ->
            new VisionLayerNorm(p.ones(module + ".weight", size), p.zeros(module + ".bias", size), size);

    private static final float EPS = 1e-6f;

    private final Weight weight;
    private final Weight bias;
    private final long size;

    private VisionLayerNorm(Weight weight, Weight bias, long size) {
        this.weight = weight;
        this.bias = bias;
        this.size = size;
    }

    /** (..., size) to (..., size). */
    @Override
    public NDArray forward(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(size), weight.get(), bias.get(), EPS)
                .singletonOrThrow();
    }
}
