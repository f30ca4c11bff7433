package dev.osprey.export.impl;

import java.nio.ByteBuffer;

/**
 * ggml's k-quants: super-blocks of 256 weights with sub-block scales, as {@code quantize_row_qN_K_ref} in ggml's
 * ggml-quants.c writes them without an importance matrix, which is what {@code llama-quantize} does when it is
 * given none. The arithmetic follows that reference step for step in F32 (same operand order, ties to even), so the
 * bytes equal llama-quantize's for the same F32 input; tools/gguf-llamacpp-reference.py checks that they do.
 *
 * <ul>
 *   <li>{@code Q4_K} (144 bytes): F16 d and dmin, 12 bytes of eight 6-bit scales and mins, 128 bytes of 4-bit codes;
 *       weight = d·scale·q − dmin·min over sub-blocks of 32.
 *   <li>{@code Q5_K} (176 bytes): as Q4_K with a fifth bit per weight in 32 bytes of high bits.
 *   <li>{@code Q6_K} (210 bytes): 128 bytes of low 4 bits, 64 of high 2 bits, sixteen int8 scales, F16 d; weight =
 *       d·scale·(q − 32) over sub-blocks of 16.
 * </ul>
 */
final class KQuants {

    /** Weights per super-block ({@code QK_K}). */
    static final int QK_K = 256;

    private KQuants() {}

    /** One Q4_K super-block of {@code x[from .. from+256)}. */
    static void q4K(float[] x, int from, ByteBuffer out) {
        byte[] codes = new byte[QK_K];
        byte[] scales = minScaleBlock(x, from, codes, 15, -1f, 20, out);
        out.put(scales);
        for (int j = 0; j < QK_K; j += 64) {
            for (int l = 0; l < 32; l++) {
                out.put((byte) (codes[j + l] | (codes[j + l + 32] << 4)));
            }
        }
    }

    /** One Q5_K super-block of {@code x[from .. from+256)}. */
    static void q5K(float[] x, int from, ByteBuffer out) {
        byte[] codes = new byte[QK_K];
        byte[] scales = minScaleBlock(x, from, codes, 31, -0.5f, 15, out);
        out.put(scales);
        byte[] high = new byte[QK_K / 8];
        byte[] low = new byte[QK_K / 2];
        // pass p of 4 covers 64 weights: bits 2p and 2p+1 of high[j] are the fifth bits of weights 64p+j, 64p+32+j
        for (int p = 0; p < 4; p++) {
            for (int j = 0; j < 32; j++) {
                int a = codes[64 * p + j];
                int b = codes[64 * p + j + 32];
                if (a > 15) {
                    a -= 16;
                    high[j] |= (byte) (1 << (2 * p));
                }
                if (b > 15) {
                    b -= 16;
                    high[j] |= (byte) (2 << (2 * p));
                }
                low[32 * p + j] = (byte) (a | (b << 4));
            }
        }
        out.put(high).put(low);
    }

    /**
     * The part Q4_K and Q5_K share: a scale and a min per sub-block of 32 by {@link #fitWithMin}, both quantized to
     * 6 bits against the block's largest (F16 {@code d}, {@code dmin} written to {@code out}), then every weight
     * re-coded against the 6-bit values into {@code codes}. Returns the 12 packed scale bytes.
     */
    private static byte[] minScaleBlock(
            float[] x, int from, byte[] codes, int nmax, float rmin, int steps, ByteBuffer out) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float[] weights = new float[32];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int at = from + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[at + l] * x[at + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[at + l]);
            }
            float[] fit = fitWithMin(x, at, 32, nmax, weights, codes, 32 * j, rmin, 0.1f, steps);
            scales[j] = fit[0];
            mins[j] = fit[1];
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] packed = new byte[12];
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, nearestInt(invScale * scales[j]));
            lm[j] = Math.min(63, nearestInt(invMin * mins[j]));
        }
        // bytes 0-3: scales 0-3 (+ high 2 bits of scales 4-7); 4-7: mins 0-3 (+ high bits of mins 4-7);
        // 8-11: low 4 bits of scale and min 4-7
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                packed[j] |= (byte) ls[j];
                packed[j + 4] |= (byte) lm[j];
            } else {
                packed[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                packed[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                packed[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        short d = Half.fromFloat(maxScale / 63f);
        short dmin = Half.fromFloat(maxMin / 63f);
        out.putShort(d).putShort(dmin);
        float dF = Half.toFloat(d);
        float dminF = Half.toFloat(dmin);
        for (int j = 0; j < 8; j++) {
            float step = dF * ls[j];
            if (step == 0) {
                continue; // codes stay as the fit left them, as the reference does
            }
            float offset = dminF * lm[j];
            for (int i = 0; i < 32; i++) {
                int l = nearestInt((x[from + 32 * j + i] + offset) / step);
                codes[32 * j + i] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        return packed;
    }

    /** One Q6_K super-block of {@code x[from .. from+256)}. */
    static void q6K(float[] x, int from, ByteBuffer out) {
        byte[] codes = new byte[QK_K];
        float[] scales = new float[16];
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int b = 0; b < 16; b++) {
            scales[b] = fitSymmetric(x, from + 16 * b, 16, 32, codes, 16 * b);
            if (Math.abs(scales[b]) > maxAbsScale) {
                maxAbsScale = Math.abs(scales[b]);
                maxScale = scales[b];
            }
        }
        if (maxAbsScale < 1e-15f) {
            out.put(new byte[208]).putShort((short) 0); // an all-zero block
            return;
        }
        float iscale = -128f / maxScale;
        short d = Half.fromFloat(1 / iscale);
        float dF = Half.toFloat(d);
        byte[] blockScales = new byte[16];
        for (int b = 0; b < 16; b++) {
            blockScales[b] = (byte) Math.min(127, nearestInt(iscale * scales[b]));
            float step = dF * blockScales[b];
            if (step == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int l = nearestInt(x[from + 16 * b + i] / step);
                codes[16 * b + i] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        byte[] low = new byte[128];
        byte[] high = new byte[64];
        // each half of 128 weights: low nibbles of weights l and l+64 share low[l], of l+32 and l+96 low[l+32];
        // high[l] holds the top 2 bits of weights l, l+32, l+64, l+96
        for (int h = 0; h < 2; h++) {
            int base = 128 * h;
            for (int l = 0; l < 32; l++) {
                int q1 = codes[base + l];
                int q2 = codes[base + l + 32];
                int q3 = codes[base + l + 64];
                int q4 = codes[base + l + 96];
                low[64 * h + l] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                low[64 * h + l + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                high[32 * h + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
        out.put(low).put(high).put(blockScales).putShort(d);
    }

    /**
     * ggml's {@code make_qkx2_quants}: the scale and min (returned as {@code {scale, -min}}) of {@code n} values
     * coded 0..nmax that minimise the weighted squared error, searching {@code steps + 1} scales from {@code (nmax +
     * rmin) / range} upwards by {@code rdelta} and solving the least-squares scale and min for each coding.
     */
    static float[] fitWithMin(
            float[] x,
            int from,
            int n,
            int nmax,
            float[] weights,
            byte[] codes,
            int codesFrom,
            float rmin,
            float rdelta,
            int steps) {
        float min = x[from];
        float max = x[from];
        float sumW = weights[0];
        float sumX = sumW * x[from];
        for (int i = 1; i < n; i++) {
            float v = x[from + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            sumW += weights[i];
            sumX += weights[i] * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                codes[codesFrom + i] = 0;
            }
            return new float[] {0f, -min};
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearestInt(iscale * (x[from + i] - min)), nmax);
            codes[codesFrom + i] = (byte) l;
            float diff = scale * l + min - x[from + i];
            bestError += weights[i] * (diff * diff);
        }
        int[] trial = new int[n];
        for (int step = 0; step <= steps; step++) {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[from + i] - min)), nmax);
                trial[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[from + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[from + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    for (int i = 0; i < n; i++) {
                        codes[codesFrom + i] = (byte) trial[i];
                    }
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        return new float[] {scale, -min};
    }

    /**
     * ggml's {@code make_qx_quants} with {@code rmse_type 1}: a signed scale for {@code n} values coded
     * −nmax..nmax−1 (stored + nmax in {@code codes}), weighting each value by its square, trying 18 scales around
     * {@code -nmax / max} and keeping the one with the best least-squares fit.
     */
    static float fitSymmetric(float[] x, int from, int n, int nmax, byte[] codes, int codesFrom) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[from + i]);
            if (ax > amax) {
                amax = ax;
                max = x[from + i];
            }
        }
        if (amax < 1e-15f) {
            for (int i = 0; i < n; i++) {
                codes[codesFrom + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[from + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
            codes[codesFrom + i] = (byte) (l + nmax);
            float w = v * v;
            sumLX += w * v * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[from + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
                float w = v * v;
                sumLX += w * v * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[from + i]);
                    codes[codesFrom + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /** ggml's {@code nearest_int}: round to nearest, ties to even (it adds 1.5·2²³ in F32). */
    static int nearestInt(float v) {
        return (int) Math.rint(v);
    }

    private static int clamp(int l, int nmax) {
        return Math.max(0, Math.min(nmax, l));
    }
}
