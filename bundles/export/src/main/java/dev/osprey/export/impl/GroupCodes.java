package dev.osprey.export.impl;

/**
 * A linear weight (out, in) quantized in groups of input rows: {@code w[o][i] = (codes[i][o] - zeros[g][o]) ·
 * scales[g][o]} with {@code g = gIdx[i]}, the layout GPTQ and AWQ checkpoints pack.
 *
 * @param codes (in, out) row-major, each in [0, 2^bits) as an unsigned byte: a whole model's codes wait in memory until
 *     the checkpoint is written, a quarter of what ints took (3.9 GB of ints for a 1.1B-shaped model)
 * @param scales (groups, out), already rounded to F16 (what the checkpoint stores)
 * @param zeros (groups, out), each in [0, 2^bits)
 * @param gIdx (in) the group of each input row
 */
record GroupCodes(int out, int in, int bits, byte[] codes, float[] scales, int[] zeros, int[] gIdx) {

    /** @param codes (in, out) row-major, each in [0, 2^bits), bits ≤ 8 */
    static GroupCodes of(int out, int in, int bits, int[] codes, float[] scales, int[] zeros, int[] gIdx) {
        if (bits > 8) {
            throw new IllegalArgumentException("group codes of " + bits + " bits do not fit a byte");
        }
        byte[] narrow = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            narrow[i] = (byte) codes[i];
        }
        return new GroupCodes(out, in, bits, narrow, scales, zeros, gIdx);
    }

    /** The code at {@code index} of the (in, out) row-major codes. */
    int code(int index) {
        return codes[index] & 0xFF;
    }

    int groups() {
        return scales.length / out;
    }

    /** The weight these codes stand for, (out, in) row-major. */
    float[] dequantized() {
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) {
            int g = gIdx[i];
            for (int o = 0; o < out; o++) {
                w[o * in + i] = (code(i * out + o) - zeros[g * out + o]) * scales[g * out + o];
            }
        }
        return w;
    }
}
