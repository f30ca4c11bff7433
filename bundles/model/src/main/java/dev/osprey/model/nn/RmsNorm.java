package dev.osprey.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Weight;

/**
 * Root-mean-square layer norm: {@code x / sqrt(mean(x²) + eps) · w}, computed in float32 as the
 * reference does. Gemma stores {@code w - 1}, so its scale is {@code 1 + w} ({@code offset = 1}).
 */
public final class RmsNorm implements Norm {

    private final Weight weight;
    private final double eps;
    private final float offset;

    /** @param name the checkpoint key of the weight, e.g. {@code model.norm.weight} */
    public RmsNorm(Params params, String name, long size, double eps, float offset) {
        this(params.constant(name, new Shape(size), offset == 0f ? 1f : 0f), eps, offset);
    }

    /** @param weight the scale (size), ones or (offset 1) zeros when fresh */
    public RmsNorm(Weight weight, double eps, float offset) {
        this.weight = weight;
        this.eps = eps;
        this.offset = offset;
    }

    /** @param x (..., size) @return (..., size), in x's data type */
    @Override
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray variance = Scalars.pow(x32, 2).mean(new int[] {-1}, true); // (..., 1)
        NDArray normed = x32.div(Scalars.add(variance, eps).sqrt());
        NDArray scale = weight.get().toType(DataType.FLOAT32, false);
        if (offset != 0f) {
            scale = Scalars.add(scale, offset);
        }
        return normed.mul(scale).toType(type, false);
    }
}
