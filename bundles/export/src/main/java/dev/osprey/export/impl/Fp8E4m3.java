package dev.osprey.export.impl;

/**
 * F32 to FP8 E4M3 ("e4m3fn": 4 exponent bits with bias 7, 3 mantissa bits, no infinities, largest 448) with
 * round-to-nearest-even and saturation at ±448, as torch's {@code .to(torch.float8_e4m3fn)} after a clamp.
 */
final class Fp8E4m3 {

    static final float MAX = 448f;
    /** The value of every non-negative code 0x00..0x7E (0x7F is NaN), increasing. */
    private static final float[] VALUES = new float[0x7F];

    static {
        for (int b = 0; b < VALUES.length; b++) {
            int exponent = b >>> 3;
            int mantissa = b & 7;
            VALUES[b] = exponent == 0
                    ? mantissa / 8f * (float) Math.pow(2, -6)
                    : (1 + mantissa / 8f) * (float) Math.pow(2, exponent - 7);
        }
    }

    private Fp8E4m3() {}

    static byte encode(float x) {
        if (Float.isNaN(x)) {
            return 0x7F;
        }
        int sign = x < 0 || (x == 0 && 1 / x < 0) ? 0x80 : 0;
        float a = Math.min(Math.abs(x), MAX);
        int lo = 0;
        int hi = VALUES.length - 1;
        while (lo < hi) { // the first code whose value is >= a
            int mid = (lo + hi) >>> 1;
            if (VALUES[mid] < a) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int code = lo;
        if (code > 0) {
            float below = VALUES[code - 1];
            float above = VALUES[code];
            if (a - below < above - a || (a - below == above - a && ((code - 1) & 1) == 0)) {
                code--;
            }
        }
        return (byte) (sign | code);
    }

    static float decode(byte b) {
        int code = b & 0x7F;
        if (code == 0x7F) {
            return Float.NaN;
        }
        return (b & 0x80) != 0 ? -VALUES[code] : VALUES[code];
    }
}
