package dev.osprey.model.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;

/**
 * Asymmetric int4 in groups along the input dimension, as GPTQ and AWQ store it: per group a scale
 * {@code s = (max − min) / 15} and an integer zero point {@code z = round(−min / s)} (the range always
 * includes 0), codes {@code q = clamp(round(w / s) + z, 0, 15)}, {@code w ≈ (q − z) · s}. Rows whose
 * length is not a multiple of the group size are zero-padded; codes are packed two per byte, scales in
 * F32, zero points one per byte.
 */
public final class Int4Weight implements QuantizedWeight {

    private final Shape shape;
    private final int groupSize;
    private final NDArray codes;
    private final NDArray scales;
    private final NDArray zeros;
    /** (256, 2): the two codes each byte holds, as floats. */
    private final NDArray codePairs;

    private Int4Weight(Shape shape, int groupSize, NDArray codes, NDArray scales, NDArray zeros, NDArray codePairs) {
        this.shape = shape;
        this.groupSize = groupSize;
        this.codes = codes;
        this.scales = scales;
        this.zeros = zeros;
        this.codePairs = codePairs;
    }

    /** @param w (out, in) F32 */
    static Int4Weight quantize(NDArray w, int groupSize) {
        long out = w.getShape().get(0);
        long in = w.getShape().get(1);
        long pad = (groupSize - in % groupSize) % groupSize;
        NDArray rows = pad == 0 ? w : w.concat(w.getManager().zeros(new Shape(out, pad)), 1); // (out, in + pad)
        NDArray groups = rows.reshape(-1, groupSize); // (out * g, group)
        NDArray min = Scalars.minimum(groups.min(new int[] {1}, true), 0); // (out * g, 1)
        NDArray max = Scalars.maximum(groups.max(new int[] {1}, true), 0); // (out * g, 1)
        NDArray scale = Scalars.div(max.sub(min), 15);
        scale = scale.add(scale.eq(0).toType(DataType.FLOAT32, false)); // an all-zero group: any scale works
        NDArray zero = Scalars.clip(min.neg().div(scale).round(), 0, 15); // (out * g, 1)
        NDArray q = Scalars.clip(groups.div(scale).round().add(zero), 0, 15); // (out * g, group)
        return new Int4Weight(
                w.getShape(),
                groupSize,
                Nibbles.pack(q.reshape(-1)),
                scale.reshape(-1),
                zero.reshape(-1).toType(DataType.UINT8, false),
                Nibbles.pairTable(w.getManager(), CODES));
    }

    private static final float[] CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    @Override
    public NDArray dequantize(DataType type) {
        NDArray q = Nibbles.lookup(codes, codePairs).reshape(-1, groupSize); // (out * g, group)
        NDArray zero = zeros.toType(DataType.FLOAT32, false).expandDims(1); // (out * g, 1)
        NDArray rows = q.sub(zero).mul(scales.expandDims(1)).reshape(shape.get(0), -1); // (out, in + pad)
        if (rows.getShape().get(1) != shape.get(1)) {
            rows = rows.get(":, 0:{}", shape.get(1)); // (out, in)
        }
        return rows.toType(type, false);
    }

    @Override
    public QuantSpec spec() {
        return new QuantSpec(QuantSpec.Method.INT4, groupSize);
    }

    @Override
    public Shape shape() {
        return shape;
    }

    /** One scale per group, F32. */
    public NDArray scales() {
        return scales;
    }

    @Override
    public List<NDArray> storage() {
        return List.of(codes, scales, zeros, codePairs);
    }
}
