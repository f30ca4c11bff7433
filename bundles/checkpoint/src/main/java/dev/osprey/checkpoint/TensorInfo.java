package dev.osprey.checkpoint;

import java.util.Arrays;

/**
 * One entry of a safetensors header: where a tensor's bytes lie and how to interpret them.
 *
 * @param name  the checkpoint key, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the safetensors dtype name, e.g. {@code BF16}
 * @param shape the dimensions; empty for a scalar
 * @param begin the first byte, relative to the start of the data area (after the header)
 * @param end   one past the last byte, relative to the start of the data area
 */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {

    /** Copies {@code shape}, so that the record stays immutable. */
    public TensorInfo {
        shape = shape.clone();
    }

    /** A copy of the dimensions (the record keeps its own). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements: the product of the dimensions, 1 for a scalar. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    // arrays compare by identity in a record's generated methods; compare shapes by value instead

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape) + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
