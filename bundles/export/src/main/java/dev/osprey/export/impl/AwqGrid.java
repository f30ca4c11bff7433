package dev.osprey.export.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;

/**
 * AWQ's weight grid (AutoAWQ's {@code pseudo_quantize_tensor} with {@code zero_point}): each output channel's
 * groups of {@code group_size} consecutive input features get an asymmetric min-max range on {@code [0, 2^bits -
 * 1]} (the scale rounded to F16, as stored).
 */
final class AwqGrid {

    private AwqGrid() {}

    /** The weight (out, in) quantized and dequantized again: what the checkpoint will compute. A new array. */
    static NDArray fakeQuantize(NDArray weight, int bits, int groupSize) {
        Shape shape = weight.getShape();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray[] grid = grid(weight, bits, groupSize);
            NDArray w = grouped(weight, groupSize); // (out, groups, size)
            NDArray codes = Scalars.clip(w.div(grid[0]).round().add(grid[1]), 0f, (1 << bits) - 1f);
            NDArray dense = codes.sub(grid[1]).mul(grid[0]).reshape(shape); // (out, in)
            NDScope.unregister(dense);
            return dense;
        }
    }

    /** The weight (out, in) as AWQ codes, groups in natural order. */
    static GroupCodes quantize(NDArray weight, int bits, int groupSize) {
        int out = Math.toIntExact(weight.getShape().get(0));
        int in = Math.toIntExact(weight.getShape().get(1));
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray[] grid = grid(weight, bits, groupSize);
            NDArray w = grouped(weight, groupSize); // (out, groups, size)
            NDArray codes = Scalars.clip(w.div(grid[0]).round().add(grid[1]), 0f, (1 << bits) - 1f);
            int[] outByIn = codes.reshape(out, in)
                    .transpose()
                    .toType(DataType.INT32, false)
                    .toIntArray(); // (in, out)
            float[] scales = grid[0].squeeze(2).transpose().toFloatArray(); // (groups, out)
            int[] zeros =
                    grid[1].squeeze(2).transpose().toType(DataType.INT32, false).toIntArray(); // (groups, out)
            int[] gIdx = new int[in];
            for (int i = 0; i < in; i++) {
                gIdx[i] = i / groupSize;
            }
            return GroupCodes.of(out, in, bits, outByIn, scales, zeros, gIdx);
        }
    }

    /** {scale, zero}, each (out, groups, 1). */
    private static NDArray[] grid(NDArray weight, int bits, int groupSize) {
        float maxq = (1 << bits) - 1;
        NDArray w = grouped(weight, groupSize); // (out, groups, size)
        NDArray max = w.max(new int[] {2}, true);
        NDArray min = w.min(new int[] {2}, true);
        NDArray scale = Scalars.div(Scalars.maximum(max.sub(min), 1e-5f), maxq)
                .toType(DataType.FLOAT16, false)
                .toType(DataType.FLOAT32, false);
        NDArray zero = Scalars.clip(min.div(scale).round().neg(), 0f, maxq);
        return new NDArray[] {scale, zero};
    }

    private static NDArray grouped(NDArray weight, int groupSize) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        if (in % groupSize != 0) {
            throw new IllegalArgumentException(
                    "--group_size " + groupSize + " does not divide the " + in + " input features of a linear layer");
        }
        return weight.toType(DataType.FLOAT32, false).reshape(out, in / groupSize, groupSize); // (out, groups, size)
    }
}
