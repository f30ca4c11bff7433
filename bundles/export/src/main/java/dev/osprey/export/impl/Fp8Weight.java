package dev.osprey.export.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A linear weight (out, in) in FP8 E4M3 with one F32 scale per block of {@code blockRows × blockCols} values
 * (the last block of a row or column may be short): {@code w ≈ e4m3 · scale}, each scale the block's largest
 * magnitude over 448. Per-channel is the block (1, in).
 *
 * @param codes (out, in) E4M3 bytes
 * @param scales (scaleRows, scaleCols)
 */
record Fp8Weight(
        int out, int in, int blockRows, int blockCols, int scaleRows, int scaleCols, byte[] codes, float[] scales) {

    static Fp8Weight quantize(NDArray weight, int blockRows, int blockCols) {
        int out = Math.toIntExact(weight.getShape().get(0));
        int in = Math.toIntExact(weight.getShape().get(1));
        float[] w = weight.toType(DataType.FLOAT32, false).toFloatArray(); // (out, in)
        int rows = (out + blockRows - 1) / blockRows;
        int cols = (in + blockCols - 1) / blockCols;
        float[] scales = new float[rows * cols];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                int b = (o / blockRows) * cols + i / blockCols;
                scales[b] = Math.max(scales[b], Math.abs(w[o * in + i]));
            }
        }
        for (int b = 0; b < scales.length; b++) {
            scales[b] = Math.max(scales[b] / Fp8E4m3.MAX, 1e-12f);
        }
        byte[] codes = new byte[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                codes[o * in + i] = Fp8E4m3.encode(w[o * in + i] / scales[(o / blockRows) * cols + i / blockCols]);
            }
        }
        return new Fp8Weight(out, in, blockRows, blockCols, rows, cols, codes, scales);
    }

    /** The weight these codes stand for, (out, in) row-major. */
    float[] dequantized() {
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                w[o * in + i] = Fp8E4m3.decode(codes[o * in + i]) * scales[(o / blockRows) * scaleCols + i / blockCols];
            }
        }
        return w;
    }
}
