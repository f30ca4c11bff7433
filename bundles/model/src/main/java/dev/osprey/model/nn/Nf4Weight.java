package dev.osprey.model.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
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

    /**
     * Values quantized at a time. The binary search makes temporaries of about 45 bytes per value (int64
     * indices among them): for a whole 7B MLP weight that was 2 GB at once, the peak of loading a model
     * with QLoRA. A chunk of whole blocks keeps them near 380 MB, with the same codes; its int64 arrays (64 MB)
     * are still larger than the most glibc's malloc keeps in its arenas (32 MiB), so glibc gives them back
     * when freed rather than fragmenting around them.
     */
    static final long CHUNK_VALUES = 1L << 23;

    /** @param w (out, in) F32 */
    static Nf4Weight quantize(NDArray w, int blockSize) {
        return quantize(w, blockSize, CHUNK_VALUES);
    }

    /** @param w (out, in) F32 @param chunkValues values quantized at a time (whole blocks, an even number) */
    static Nf4Weight quantize(NDArray w, int blockSize, long chunkValues) {
        NDManager m = w.getManager();
        NDArray blocks = padded(w.flatten(), blockSize).reshape(-1, blockSize); // (nb, block)
        long count = blocks.getShape().get(0);
        long perChunk = Math.max(2, chunkValues / blockSize / 2 * 2); // even: codes pack two values a byte
        NDList codes = new NDList();
        NDList absmax = new NDList();
        try (NDArray mids = m.create(midpoints())) {
            for (long from = 0; from < count; from += perChunk) {
                try (NDScope scope = new NDScope()) {
                    NDArray chunk = blocks.get(new NDIndex("{}:{}", from, Math.min(count, from + perChunk)));
                    NDArray chunkAbsmax = chunk.abs().max(new int[] {1}, true); // (c, 1)
                    NDArray chunkCodes = Nibbles.pack(nearestLevels(chunk, chunkAbsmax, mids)); // (c · block / 2)
                    NDScope.unregister(chunkAbsmax, chunkCodes);
                    absmax.add(chunkAbsmax);
                    codes.add(chunkCodes);
                }
            }
        }
        NDArray blockAbsmax = joined(absmax); // (nb, 1)
        NDArray allAbsmax = blockAbsmax.reshape(-1); // (nb)
        blockAbsmax.close(); // the reshaped view keeps the data
        return new Nf4Weight(w.getShape(), blockSize, joined(codes), allAbsmax, Nibbles.pairTable(m, LEVELS));
    }

    /** The chunks' arrays joined along axis 0, the chunks closed; a single chunk is returned as it is. */
    private static NDArray joined(NDList chunks) {
        if (chunks.size() == 1) {
            return chunks.get(0);
        }
        NDArray all = NDArrays.concat(chunks, 0);
        chunks.close();
        return all;
    }

    /** The 15 midpoints between consecutive levels, ascending. */
    private static float[] midpoints() {
        float[] midpoints = new float[LEVELS.length - 1];
        for (int i = 0; i < midpoints.length; i++) {
            midpoints[i] = (LEVELS[i] + LEVELS[i + 1]) / 2;
        }
        return midpoints;
    }

    /**
     * The index of each value's nearest level, found by binary search over the 15 sorted midpoints (4 steps, as
     * bitsandbytes' kernel does) rather than 15 comparisons per value: the number of midpoints below it.
     *
     * @param blocks (c, block) @param absmax (c, 1) @return (c · block) INT64
     */
    private static NDArray nearestLevels(NDArray blocks, NDArray absmax, NDArray mids) {
        NDArray normalized = blocks.div(Scalars.maximum(absmax, Float.MIN_NORMAL)); // (c, block) in [-1, 1]
        NDArray flat = normalized.reshape(-1); // (c · block)
        NDArray index = blocks.getManager().zeros(flat.getShape(), DataType.INT64);
        for (int step = 8; step >= 1; step /= 2) {
            NDArray probe = Scalars.add(index, step - 1);
            NDArray above = flat.gt(mids.take(probe)); // is midpoint[index + step - 1] below the value?
            index = index.add(Scalars.mul(above.toType(DataType.INT64, false), step));
        }
        return index;
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
