package dev.osprey.export.impl;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;

/**
 * The tensor types the {@code gguf} exporter writes, with ggml's type ids and llama.cpp's {@code general.file_type}.
 * Names follow llama.cpp's {@code convert_hf_to_gguf.py --outtype}: {@code f32}, {@code f16}, {@code q8_0}.
 */
enum GgufType {
    F32(0, 0, 1, 4),
    F16(1, 1, 1, 2),
    /** Blocks of 32 weights: one F16 scale, then 32 int8 ({@code ggml}'s {@code block_q8_0}, 34 bytes). */
    Q8_0(8, 7, 32, 34);

    /** The ggml_type id of a tensor of this type. */
    final int ggmlType;
    /** llama_ftype: the file's "mostly" type. */
    final int fileType;

    final int blockSize;
    final int blockBytes;

    GgufType(int ggmlType, int fileType, int blockSize, int blockBytes) {
        this.ggmlType = ggmlType;
        this.fileType = fileType;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The lower-case name used on the command line and in file names. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException naming the choices
     */
    static GgufType parse(String name) {
        for (GgufType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--gguf_type " + name + " is not supported; choose one of "
                + Arrays.stream(values()).map(GgufType::id).toList());
    }

    /** Bytes of {@code count} values of this type ({@code count} a multiple of the block size). */
    long bytes(long count) {
        return count / blockSize * blockBytes;
    }

    /** Appends {@code values} in this type to {@code out} (little-endian). */
    void encode(float[] values, ByteBuffer out) {
        switch (this) {
            case F32 -> {
                for (float v : values) {
                    out.putFloat(v);
                }
            }
            case F16 -> {
                for (float v : values) {
                    out.putShort(toHalf(v));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < values.length; b += blockSize) {
                    float amax = 0;
                    for (int i = 0; i < blockSize; i++) {
                        amax = Math.max(amax, Math.abs(values[b + i]));
                    }
                    // as ggml's quantize_row_q8_0_ref: the scale in F32 for rounding, stored as F16
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    out.putShort(toHalf(d));
                    for (int i = 0; i < blockSize; i++) {
                        out.put((byte) roundHalfAway(values[b + i] * id));
                    }
                }
            }
        }
    }

    /** C's {@code roundf}, which ggml uses (Java's {@code Math.round} rounds halves up, not away from zero). */
    private static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }

    /** IEEE binary16 of {@code f}, rounded to nearest even (Java 17 has no {@code Float.floatToFloat16}). */
    static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        int shift = 13;
        int half;
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000; // subnormal: the implicit bit becomes explicit
            shift = 14 - e;
            half = mant >> shift;
        } else {
            half = (e << 10) | (mant >> 13);
        }
        int rest = mant & ((1 << shift) - 1);
        int mid = 1 << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1) != 0)) {
            half++; // a carry into the exponent is the correct next value
        }
        return (short) (sign | half);
    }
}
