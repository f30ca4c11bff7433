package dev.osprey.export.impl;

/**
 * A linear weight (out, in) quantized in groups of input rows: {@code w[o][i] = (codes[i][o] - zeros[g][o]) ·
 * scales[g][o]} with {@code g = gIdx[i]}, the layout GPTQ and AWQ checkpoints pack.
 *
 * @param codes (in, out) row-major, each in [0, 2^bits)
 * @param scales (groups, out), already rounded to F16 (what the checkpoint stores)
 * @param zeros (groups, out), each in [0, 2^bits)
 * @param gIdx (in) the group of each input row
 */
record GroupCodes(int out, int in, int bits, int[] codes, float[] scales, int[] zeros, int[] gIdx) {

    int groups() {
        return scales.length / out;
    }

    /** The weight these codes stand for, (out, in) row-major. */
    float[] dequantized() {
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) {
            int g = gIdx[i];
            for (int o = 0; o < out; o++) {
                w[o * in + i] = (codes[i * out + o] - zeros[g * out + o]) * scales[g * out + o];
            }
        }
        return w;
    }
}
