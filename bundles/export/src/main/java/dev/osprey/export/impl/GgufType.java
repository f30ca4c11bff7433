package dev.osprey.export.impl;

import java.nio.ByteBuffer;

/**
 * The ggml tensor types the {@code gguf} exporter writes, with ggml's type ids and block sizes. Which type each tensor
 * gets is the {@link GgufFileType}'s choice.
 */
enum GgufType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** Blocks of 32: F16 scale, 32 int8 ({@code block_q8_0}). */
    Q8_0(8, 32, 34),
    /** Blocks of 32: F16 scale, 32 fifth bits, 32 nibbles; weight = d·(q − 16) ({@code block_q5_0}). */
    Q5_0(6, 32, 22),
    /** Blocks of 32: F16 scale and min, 32 fifth bits, 32 nibbles; weight = d·q + m ({@code block_q5_1}). */
    Q5_1(7, 32, 24),
    Q4_K(12, KQuants.QK_K, 144),
    Q5_K(13, KQuants.QK_K, 176),
    Q6_K(14, KQuants.QK_K, 210);

    /** The ggml_type id of a tensor of this type. */
    final int ggmlType;

    final int blockSize;
    final int blockBytes;

    GgufType(int ggmlType, int blockSize, int blockBytes) {
        this.ggmlType = ggmlType;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes of {@code count} values of this type ({@code count} a multiple of the block size). */
    long bytes(long count) {
        return count / blockSize * blockBytes;
    }

    /** Whether rows of {@code rowLength} values split into whole blocks of this type. */
    boolean fits(long rowLength) {
        return rowLength % blockSize == 0;
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
                    out.putShort(Half.fromFloat(v));
                }
            }
            default -> {
                for (int b = 0; b < values.length; b += blockSize) {
                    switch (this) {
                        case Q8_0 -> BlockQuants.q8_0(values, b, out);
                        case Q5_0 -> BlockQuants.q5_0(values, b, out);
                        case Q5_1 -> BlockQuants.q5_1(values, b, out);
                        case Q4_K -> KQuants.q4K(values, b, out);
                        case Q5_K -> KQuants.q5K(values, b, out);
                        case Q6_K -> KQuants.q6K(values, b, out);
                        default -> throw new AssertionError(this);
                    }
                }
            }
        }
    }
}
