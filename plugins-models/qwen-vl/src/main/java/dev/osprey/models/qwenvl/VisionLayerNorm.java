package dev.osprey.models.qwenvl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/** torch's LayerNorm with a scale and a bias over the last axis, eps 1e-6 as Qwen2-VL's vision tower builds it. */
final class VisionLayerNorm {

    private static final float EPS = 1e-6f;

    private final Weight weight;
    private final Weight bias;
    private final long size;

    VisionLayerNorm(Parameters p, String module, long size) {
        this.weight = p.ones(module + ".weight", size);
        this.bias = p.zeros(module + ".bias", size);
        this.size = size;
    }

    /** (..., size) to (..., size). */
    NDArray forward(NDArray x) {
        return LayerNorm.layerNorm(x, new Shape(size), weight.get(), bias.get(), EPS)
                .singletonOrThrow();
    }
}
