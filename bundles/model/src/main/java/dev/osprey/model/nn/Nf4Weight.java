package dev.osprey.model.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;

/**
 * bitsandbytes' NF4: the flattened weight in blocks of {@code blockSize} values (zero-padded at the end),
 * each value stored as the index of the nearest NF4 level after dividing by the block's absmax; two
 * indices per byte, absmax in F32.
 */
public final class Nf4Weight implements QuantizedWeight {

    /** The 16 NF4 levels of bitsandbytes ({@code create_normal_map}), ascending. */
    static final float[] LEVELS = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f
    };

    private final Shape shape;
    private final int blockSize;
    private final NDArray codes;
    private final NDArray absmax;
    /** (256, 2): the two levels each byte stands for. */
    private final NDArray levelPairs;

    private Nf4Weight(Shape shape, int blockSize, NDArray codes, NDArray absmax, NDArray levelPairs) {
        this.shape = shape;
        this.blockSize = blockSize;
        this.codes = codes;
        this.absmax = absmax;
        this.levelPairs = levelPairs;
    }

    /** @param w (out, in) F32 */
    static Nf4Weight quantize(NDArray w, int blockSize) {
        NDManager m = w.getManager();
        NDArray blocks = padded(w.flatten(), blockSize).reshape(-1, blockSize); // (nb, block)
        NDArray absmax = blocks.abs().max(new int[] {1}, true); // (nb, 1)
        NDArray normalized = blocks.div(Scalars.maximum(absmax, Float.MIN_NORMAL)); // (nb, block) in [-1, 1]
        float[] midpoints = new float[LEVELS.length - 1];
        for (int i = 0; i < midpoints.length; i++) {
            midpoints[i] = (LEVELS[i] + LEVELS[i + 1]) / 2;
        }
        // nearest level = number of midpoints below the value, found by binary search over the 15 sorted
        // midpoints (4 steps, as bitsandbytes' kernel does) rather than 15 comparisons per value
        NDArray mids = m.create(midpoints);
        NDArray flat = normalized.reshape(-1); // (nb * block)
        NDArray index = m.zeros(flat.getShape(), DataType.INT64);
        for (int step = 8; step >= 1; step /= 2) {
            // each step's temporaries are as large as the weight (int64): freed at once, not at the end of
            // the caller's scope, so quantizing a 7B layer does not hold four generations of them
            try (NDArray probe = Scalars.add(index, step - 1);
                    NDArray mid = mids.take(probe);
                    NDArray above = flat.gt(mid); // is midpoint[index + step - 1] below the value?
                    NDArray increment = Scalars.mul(above.toType(DataType.INT64, false), step)) {
                NDArray next = index.add(increment);
                index.close();
                index = next;
            }
        }
        return new Nf4Weight(
                w.getShape(), blockSize, Nibbles.pack(index), absmax.reshape(-1), Nibbles.pairTable(m, LEVELS));
    }

    /** {@code flat} zero-padded to a multiple of {@code blockSize}. */
    static NDArray padded(NDArray flat, int blockSize) {
        long pad = (blockSize - flat.size() % blockSize) % blockSize;
        return pad == 0 ? flat : flat.concat(flat.getManager().zeros(new Shape(pad), flat.getDataType()));
    }

    @Override
    public NDArray dequantize(DataType type) {
        NDArray values = Nibbles.lookup(codes, levelPairs).reshape(-1, blockSize); // (nb, block)
        NDArray flat = values.mul(absmax.expandDims(1)).reshape(-1); // (nb * block)
        long n = shape.size();
        if (flat.size() != n) {
            flat = flat.get("0:{}", n);
        }
        return flat.reshape(shape).toType(type, false); // (out, in)
    }

    @Override
    public QuantSpec spec() {
        return new QuantSpec(QuantSpec.Method.NF4, blockSize);
    }

    @Override
    public Shape shape() {
        return shape;
    }

    /** The packed indices, (ceil(out·in / block) · block / 2) UINT8. */
    public NDArray codes() {
        return codes;
    }

    /** One absmax per block, F32. */
    public NDArray absmax() {
        return absmax;
    }

    @Override
    public List<NDArray> storage() {
        return List.of(codes, absmax, levelPairs);
    }
}
