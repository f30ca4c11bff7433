package com.example.osprey.olmo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;

/**
 * OLMo's LayerNorm: {@code (x - mean(x)) / sqrt(var(x) + 1e-5)} over the last axis in float32, with no
 * weight and no bias, so it declares no parameters and a checkpoint has no keys for it.
 */
final class ParameterFreeLayerNorm implements Norm {

    /** OLMo fixes the epsilon rather than reading it from the config. */
    static final float EPS = 1e-5f;

    static final NormFactory FACTORY = (parameters, module, size) -> new ParameterFreeLayerNorm();

    @Override
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray x32 = x.toType(DataType.FLOAT32, false); // (..., H)
        NDArray centred = x32.sub(x32.mean(new int[] {-1}, true)); // (..., H)
        NDArray variance = Scalars.pow(centred, 2).mean(new int[] {-1}, true); // (..., 1), biased as torch's layer_norm
        return centred.div(Scalars.add(variance, EPS).sqrt()).toType(type, false); // (..., H)
    }
}
