package dev.osprey.export.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * The integer grid of one group of input rows, per output channel, as AutoGPTQ's {@code Quantizer.find_params}
 * and AutoAWQ's {@code pseudo_quantize_tensor} set it: a min-max range (widened to hold 0) mapped onto {@code [0,
 * 2^bits - 1]}; symmetric grids centre the zero at {@code 2^(bits-1)}, asymmetric zeros are at least 1 (the
 * checkpoint stores {@code zero - 1} in {@code bits} bits). Scales are rounded to F16 here, so the
 * values the algorithm quantizes against are exactly those the checkpoint stores.
 *
 * @param scale (out) F32
 * @param zero (out) F32 holding integers
 */
record QuantGrid(NDArray scale, NDArray zero) {

    /** @param rows (k, out): k input rows of a weight stored (in, out) */
    static QuantGrid of(NDArray rows, int bits, boolean symmetric) {
        float maxq = (1 << bits) - 1;
        NDArray min = Scalars.minimum(rows.min(new int[] {0}), 0f); // (out)
        NDArray max = Scalars.maximum(rows.max(new int[] {0}), 0f); // (out)
        if (symmetric) {
            max = max.maximum(min.abs());
            min = max.neg();
        }
        // an all-zero group still needs a usable scale
        NDArray flat = min.eq(0f).logicalAnd(max.eq(0f));
        min = NDArrays.where(flat, min.onesLike().neg(), min);
        max = NDArrays.where(flat, max.onesLike(), max);
        NDArray scale = Scalars.maximum(Scalars.div(max.sub(min), maxq), 1e-6f)
                .toType(DataType.FLOAT16, false)
                .toType(DataType.FLOAT32, false); // (out)
        NDArray zero = symmetric
                ? Scalars.add(scale.zerosLike(), (maxq + 1) / 2)
                : Scalars.clip(
                        min.neg().div(scale).round(),
                        1f,
                        maxq); // (out): at least 1, AutoGPTQ's v1 format stores zero - 1
        return new QuantGrid(scale, zero);
    }

    /** Codes of {@code rows} (k, out) on this grid, F32 integers in [0, maxq]. */
    NDArray codes(NDArray rows, int bits) {
        return Scalars.clip(rows.div(scale).round().add(zero), 0f, (1 << bits) - 1f);
    }

    /** The values {@code codes} stand for. */
    NDArray dequantize(NDArray codes) {
        return codes.sub(zero).mul(scale);
    }
}
