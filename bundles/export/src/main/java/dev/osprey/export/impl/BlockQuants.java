package dev.osprey.export.impl;

import java.nio.ByteBuffer;

/**
 * ggml's blocks of 32 weights, as {@code quantize_row_q8_0_ref}, {@code _q5_0_ref} and {@code _q5_1_ref} write them:
 * the scale computed in F32 and stored as F16, each weight coded against the F32 scale.
 */
final class BlockQuants {

    static final int QK = 32;

    private BlockQuants() {}

    /** {@code block_q8_0}: d = amax / 127, q = round(x / d). */
    static void q8_0(float[] x, int from, ByteBuffer out) {
        float amax = 0;
        for (int i = 0; i < QK; i++) {
            amax = Math.max(amax, Math.abs(x[from + i]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        out.putShort(Half.fromFloat(d));
        for (int i = 0; i < QK; i++) {
            out.put((byte) roundHalfAway(x[from + i] * id));
        }
    }

    /**
     * {@code block_q5_0}: d = (the value of largest magnitude) / −16, q = x / d + 16 truncated, at most 31; the
     * fifth bits of weights j and j + 16 are bits j and j + 16 of a little-endian uint32.
     */
    static void q5_0(float[] x, int from, ByteBuffer out) {
        float amax = 0;
        float max = 0;
        for (int i = 0; i < QK; i++) {
            float v = x[from + i];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1f / d : 0f;
        int[] q = new int[QK];
        for (int i = 0; i < QK; i++) {
            q[i] = Math.min(31, (int) (x[from + i] * id + 16.5f));
        }
        out.putShort(Half.fromFloat(d));
        putFifthBitsAndNibbles(q, out);
    }

    /** {@code block_q5_1}: d = (max − min) / 31, m = min, q = (x − min) / d rounded half up. */
    static void q5_1(float[] x, int from, ByteBuffer out) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < QK; i++) {
            float v = x[from + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
        }
        float d = (max - min) / 31;
        float id = d != 0 ? 1f / d : 0f;
        int[] q = new int[QK];
        for (int i = 0; i < QK; i++) {
            q[i] = (int) ((x[from + i] - min) * id + 0.5f) & 0xFF; // C's conversion to uint8_t
        }
        out.putShort(Half.fromFloat(d)).putShort(Half.fromFloat(min));
        putFifthBitsAndNibbles(q, out);
    }

    /** The 4-byte high-bit word, then 16 bytes pairing weight j (low nibble) with weight j + 16 (high nibble). */
    private static void putFifthBitsAndNibbles(int[] q, ByteBuffer out) {
        int high = 0;
        for (int j = 0; j < QK / 2; j++) {
            high |= ((q[j] & 0x10) >> 4) << j;
            high |= ((q[j + QK / 2] & 0x10) >> 4) << (j + QK / 2);
        }
        out.putInt(high);
        for (int j = 0; j < QK / 2; j++) {
            out.put((byte) ((q[j] & 0x0F) | ((q[j + QK / 2] & 0x0F) << 4)));
        }
    }

    /** C's {@code roundf}, which ggml uses (Java's {@code Math.round} rounds halves up, not away from zero). */
    private static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }
}
