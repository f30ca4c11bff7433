package dev.osprey.model.nn;

import java.nio.ByteBuffer;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;

/**
 * Per-output-row absmax int8: {@code q = round(w · 127 / absmax_row)}, {@code w ≈ q · absmax_row / 127}.
 * LLM.int8's weight storage without its outlier decomposition: the matmul runs in the compute type on the
 * dequantized weight, so no activation outliers need separate handling.
 */
public final class Int8Weight implements QuantizedWeight {

    /**
     * From this many code bytes an inference product is split into one block of rows per core: {@code
     * -Dosprey.inference.int8_split_bytes}. On an idle 2-core machine two blocks at once took 0.59× and 0.57× the
     * time of one call for 11.5 MB and 65.5 MB of codes, and 1.16× for 4.2 MB (PackedProductBenchmark,
     * docs/benchmarks.md).
     */
    static final long SPLIT_BYTES = Long.getLong("osprey.inference.int8_split_bytes", 8L << 20);

    private final Shape shape;
    private final NDArray codes;
    private final NDArray scales;
    /** Per core, views of a block of rows: {codes (rows, in), scales (rows, 1)}; made on the first split product. */
    private NDArray[][] rowBlocks;

    private Int8Weight(Shape shape, NDArray codes, NDArray scales) {
        this.shape = shape;
        this.codes = codes;
        this.scales = scales;
    }

    /** @param w (out, in) F32 */
    static Int8Weight quantize(NDArray w) {
        NDArray scale =
                Scalars.maximum(Scalars.div(w.abs().max(new int[] {1}, true), 127), Float.MIN_NORMAL); // (out, 1)
        NDArray q = Scalars.clip(w.div(scale).round(), -127, 127).toType(DataType.INT8, false); // (out, in)
        return new Int8Weight(w.getShape(), q, scale);
    }

    /**
     * A weight from int8 codes a checkpoint already holds (GPTQ 8-bit with one group per row and a zero point
     * that keeps {@code q − z} within int8), {@code w = codes · scale} per row; no dense weight is made.
     *
     * @param codes out · in values, row-major (out, in)
     * @param scales one per output row
     */
    public static Int8Weight fromCodes(NDManager manager, int out, int in, byte[] codes, float[] scales) {
        if (codes.length != (long) out * in || scales.length != out) {
            throw new IllegalArgumentException("int8 codes and scales of " + codes.length + " and " + scales.length
                    + " values do not fit (" + out + ", " + in + ")");
        }
        return new Int8Weight(
                new Shape(out, in),
                manager.create(ByteBuffer.wrap(codes), new Shape(out, in), DataType.INT8),
                manager.create(scales, new Shape(out, 1)));
    }

    @Override
    public NDArray dequantize(DataType type) {
        return codes.toType(DataType.FLOAT32, false).mul(scales).toType(type, false); // (out, in)
    }

    /**
     * x·Wᵀ straight from the codes with PyTorch's int8 weight-only kernel ({@link PackedKernels}): the dense
     * weight is never made. No gradient flows through it. In an inference pass ({@link InferenceThreads#during}) a
     * weight of at least {@link #SPLIT_BYTES} is multiplied one block of rows per core, as {@link RowBlocks} does
     * for a dense one; every output element is the same dot product.
     *
     * @param x (..., in) F32 or F16
     * @return (..., out) in x's type
     */
    public NDArray multiply(NDArray x) {
        if (InferenceThreads.active() && RowBlocks.bytes(codes) >= SPLIT_BYTES) {
            NDArray[][] blocks = rowBlocks();
            NDArray y = InferenceThreads.concatenated(
                    blocks.length, b -> PackedKernels.int8(x, blocks[b][0], blocks[b][1])); // (..., out)
            if (y != null) {
                return y;
            }
        }
        return PackedKernels.int8(x, codes, scales);
    }

    /** How many row blocks split products use (0 before the first). */
    synchronized int rowBlockCount() {
        return rowBlocks == null ? 0 : rowBlocks.length;
    }

    private synchronized NDArray[][] rowBlocks() {
        if (rowBlocks == null) {
            long rows = shape.get(0);
            int ways = (int) Math.min(InferenceThreads.WAYS, rows);
            NDArray[][] blocks = new NDArray[ways][];
            for (int i = 0; i < ways; i++) {
                NDIndex range = new NDIndex("{}:{}", rows * i / ways, rows * (i + 1) / ways);
                blocks[i] = new NDArray[] {codes.get(range), scales.get(range)}; // views of the block's rows
                // made during some pass, but kept with the weight (and freed with the model's manager)
                NDScope.unregister(blocks[i]);
            }
            rowBlocks = blocks;
        }
        return rowBlocks;
    }

    @Override
    public QuantSpec spec() {
        return QuantSpec.int8();
    }

    @Override
    public Shape shape() {
        return shape;
    }

    /** One scale (absmax / 127) per output row, (out, 1) F32. */
    public NDArray scales() {
        return scales;
    }

    @Override
    public List<NDArray> storage() {
        return List.of(codes, scales);
    }
}
