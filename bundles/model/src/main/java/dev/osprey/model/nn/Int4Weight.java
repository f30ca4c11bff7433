package dev.osprey.model.nn;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
 * Asymmetric int4 in groups along the input dimension, as GPTQ and AWQ store it: per group a scale
 * {@code s = (max − min) / 15} and an integer zero point {@code z = round(−min / s)} (the range always
 * includes 0), codes {@code q = clamp(round(w / s) + z, 0, 15)}, {@code w ≈ (q − z) · s}.
 *
 * <p>The weight lives in one of two layouts:
 *
 * <ul>
 * <li><b>plain</b> (as quantized, and as a GPTQ/AWQ checkpoint loads): codes packed two per byte, scales in F32,
 * zero points one per byte; rows whose length is not a multiple of the group size are zero-padded. It is
 * dequantized in every pass (training, QLoRA).
 * <li><b>packed</b> ({@link #pack}, done for serving): only the codes in the layout of PyTorch's int4 CPU kernel
 * and its {@code scale_and_zero} ({@code w = (q − 8) · scale + zero}, so {@code scale = s},
 * {@code zero = (8 − z) · s}); an inference pass multiplies by them with {@link PackedKernels#int4} without a
 * dense weight. A large weight is packed as one block of output rows per core, each block on its own: the
 * kernel's packing interleaves rows within tiles of 16, so rows cannot be cut out of one packed tensor. A packed
 * weight that is dequantized (a training pass, DoRA, a merge) goes back to the plain layout for good, its codes
 * read back exactly through the kernel.
 * </ul>
 *
 * <p>An act-order GPTQ checkpoint ({@code desc_act}) gathers input features into groups in a shuffled order; its
 * weight is kept with the input columns reordered so that groups are contiguous ({@link #inputOrder}), and the
 * product reorders x's features the same way.
 */
public final class Int4Weight implements QuantizedWeight {

    /** The group sizes {@code _weight_int4pack_mm_for_cpu} accepts (PyTorch 2.7.1), largest first. */
    private static final int[] KERNEL_GROUPS = {256, 128, 64, 32};
    /** {@code _convert_weight_to_int4pack_for_cpu} packs output rows in tiles of 16. */
    private static final int KERNEL_ROWS = 16;
    /**
     * From this many code bytes a weight is packed as one block of rows per core, multiplied at once in an
     * inference pass: {@code -Dosprey.inference.int4_split_bytes}. Half of {@link Int8Weight#SPLIT_BYTES}, so that
     * the same weights split: on an idle 2-core machine two blocks at once took 0.60× and 0.67× the time of one call
     * for 5.8 MB and 32.8 MB of codes, and 1.05× for 2.1 MB (PackedProductBenchmark, docs/benchmarks.md).
     */
    static final long SPLIT_BYTES = Long.getLong("osprey.inference.int4_split_bytes", Int8Weight.SPLIT_BYTES / 2);
    /** Rows of the identity multiplied at once when reading packed codes back. */
    private static final int UNPACK_ROWS = 512;

    private static final float[] CODES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    private final Shape shape;
    private final int groupSize;
    /** (in) INT64: stored input column j holds the weight's input feature {@code inputOrder[j]}; null: in order. */
    private final NDArray inputOrder;

    private volatile Plain plain;
    private volatile Packed packed;

    /** @param codes (out · (in + pad) / 2) UINT8; scales and zeros (out · groups) F32 and UINT8; (256, 2) table */
    private record Plain(NDArray codes, NDArray scales, NDArray zeros, NDArray codePairs) {
        List<NDArray> arrays() {
            return List.of(codes, scales, zeros, codePairs);
        }
    }

    /**
     * A block of output rows in the kernel's layout.
     *
     * @param codes (rows, in / 2) UINT8; scaleAndZero (in / kernelGroup, rows, 2) F32
     */
    private record Block(NDArray codes, NDArray scaleAndZero) {}

    /** @param blocks the output rows in order, one block, or one per core for a weight of {@link #SPLIT_BYTES} */
    private record Packed(List<Block> blocks) {
        List<NDArray> arrays() {
            List<NDArray> arrays = new ArrayList<>();
            for (Block b : blocks) {
                arrays.add(b.codes());
                arrays.add(b.scaleAndZero());
            }
            return arrays;
        }

        /** (in / kernelGroup, out, 2) F32, all blocks' scales and zeros side by side. */
        NDArray scaleAndZero() {
            if (blocks.size() == 1) {
                return blocks.get(0).scaleAndZero();
            }
            return NDArrays.concat(
                    new NDList(blocks.stream().map(Block::scaleAndZero).toArray(NDArray[]::new)), 1);
        }
    }

    private Int4Weight(Shape shape, int groupSize, NDArray inputOrder, Plain plain) {
        this.shape = shape;
        this.groupSize = groupSize;
        this.inputOrder = inputOrder;
        this.plain = plain;
    }

    /** @param w (out, in) F32 */
    static Int4Weight quantize(NDArray w, int groupSize) {
        long out = w.getShape().get(0);
        long in = w.getShape().get(1);
        long pad = (groupSize - in % groupSize) % groupSize;
        NDArray rows = pad == 0 ? w : w.concat(w.getManager().zeros(new Shape(out, pad)), 1); // (out, in + pad)
        NDArray groups = rows.reshape(-1, groupSize); // (out * g, group)
        NDArray min = Scalars.minimum(groups.min(new int[] {1}, true), 0); // (out * g, 1)
        NDArray max = Scalars.maximum(groups.max(new int[] {1}, true), 0); // (out * g, 1)
        NDArray scale = Scalars.div(max.sub(min), 15);
        scale = scale.add(scale.eq(0).toType(DataType.FLOAT32, false)); // an all-zero group: any scale works
        NDArray zero = Scalars.clip(min.neg().div(scale).round(), 0, 15); // (out * g, 1)
        NDArray q = Scalars.clip(groups.div(scale).round().add(zero), 0, 15); // (out * g, group)
        return new Int4Weight(
                w.getShape(),
                groupSize,
                null,
                new Plain(
                        Nibbles.pack(q.reshape(-1)),
                        scale.reshape(-1),
                        zero.reshape(-1).toType(DataType.UINT8, false),
                        Nibbles.pairTable(w.getManager(), CODES)));
    }

    /**
     * A weight from the codes a GPTQ or AWQ checkpoint stores, in the plain layout; no dense weight is made.
     *
     * @param codes out · in values 0..15, row-major (out, in), the input columns in stored order
     * @param zeros out · groups integer zero points, (out, groups): 0..15, or 16 where a GPTQ v1 checkpoint stores
     *     15 for zero point 0 (AutoGPTQ's off-by-one, which its own kernels reproduce)
     * @param scales out · groups, (out, groups)
     * @param groupSize input columns per group; {@code in} must be a multiple of it
     * @param inputOrder the weight's input feature held by each stored column (a permutation of 0..in−1), or null
     *     when the columns are in order
     */
    public static Int4Weight fromCodes(
            NDManager manager,
            int out,
            int in,
            int groupSize,
            byte[] codes,
            byte[] zeros,
            float[] scales,
            long[] inputOrder) {
        if (groupSize <= 0 || groupSize % 2 != 0 || in % groupSize != 0) {
            throw new IllegalArgumentException(
                    "int4 group size " + groupSize + " must be even and divide the " + in + " input features");
        }
        int groups = in / groupSize;
        if (codes.length != (long) out * in || zeros.length != (long) out * groups || scales.length != out * groups) {
            throw new IllegalArgumentException("int4 codes, zeros and scales of " + codes.length + ", " + zeros.length
                    + " and " + scales.length + " values do not fit (" + out + ", " + in + ") in groups of "
                    + groupSize);
        }
        byte[] pairs = new byte[codes.length / 2];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = (byte) ((codes[2 * i] << 4) | (codes[2 * i + 1] & 0xF)); // first of each pair high (Nibbles)
        }
        NDArray order = null;
        if (inputOrder != null) {
            if (inputOrder.length != in) {
                throw new IllegalArgumentException(
                        "int4 input order has " + inputOrder.length + " entries for " + in + " input features");
            }
            order = manager.create(inputOrder); // (in)
        }
        return new Int4Weight(
                new Shape(out, in),
                groupSize,
                order,
                new Plain(
                        manager.create(ByteBuffer.wrap(pairs), new Shape(pairs.length), DataType.UINT8),
                        manager.create(scales),
                        manager.create(ByteBuffer.wrap(zeros), new Shape(zeros.length), DataType.UINT8),
                        Nibbles.pairTable(manager, CODES)));
    }

    /**
     * Why this weight cannot be multiplied by PyTorch's int4 CPU kernel, or empty when it can: the kernel takes
     * groups of 32, 64, 128 or 256 (a larger group that is a multiple of one repeats its scale), whole groups
     * only, and output rows in multiples of 16.
     */
    public Optional<String> kernelMisfit() {
        if (!PackedKernels.enabled()) {
            return Optional.of("the packed kernels are switched off (-Dosprey.packed_kernels=false)");
        }
        if (kernelGroup() == 0) {
            return Optional.of("its group size " + groupSize
                    + " is not a multiple of 32, 64, 128 or 256, the groups PyTorch's int4 CPU kernel takes");
        }
        if (shape.get(1) % groupSize != 0) {
            return Optional.of("its " + shape.get(1) + " input features are not a multiple of its group size "
                    + groupSize + " (the last group is padded)");
        }
        if (shape.get(0) % KERNEL_ROWS != 0) {
            return Optional.of("its " + shape.get(0) + " output features are not a multiple of " + KERNEL_ROWS
                    + ", as PyTorch's int4 CPU packing needs");
        }
        return Optional.empty();
    }

    /** The largest group the kernel takes that divides {@link #groupSize}, or 0. */
    private int kernelGroup() {
        for (int g : KERNEL_GROUPS) {
            if (groupSize % g == 0) {
                return g;
            }
        }
        return 0;
    }

    /** Whether the weight is in the kernel's layout, so that {@link #multiply} can run. */
    public boolean isPacked() {
        return packed != null;
    }

    /**
     * Moves the weight into the layout of PyTorch's int4 CPU kernel, freeing the plain codes: from then on an
     * inference pass multiplies by the codes ({@link #multiply}).
     *
     * @return why it stays plain (see {@link #kernelMisfit}), or empty when it is packed
     */
    public Optional<String> pack() {
        long bytes = shape.get(0) * shape.get(1) / 2;
        return packInBlocks(bytes >= SPLIT_BYTES ? InferenceThreads.WAYS : 1);
    }

    /** {@link #pack} into {@code ways} blocks of rows (fewer when the weight has fewer tiles of 16 rows). */
    synchronized Optional<String> packInBlocks(int ways) {
        if (packed != null) {
            return Optional.empty();
        }
        Optional<String> misfit = kernelMisfit();
        if (misfit.isPresent()) {
            return misfit;
        }
        Plain p = plain;
        long out = shape.get(0);
        long in = shape.get(1);
        long groups = in / groupSize;
        long repeat = groupSize / kernelGroup();
        long tiles = out / KERNEL_ROWS;
        int blocks = (int) Math.min(ways, tiles);
        List<Block> packedBlocks = new ArrayList<>();
        try (NDScope scope = new NDScope()) { // frees the temporaries, keeps what the weight holds
            scope.suppressNotUsedWarning();
            NDArray q = Nibbles.lookup(p.codes(), p.codePairs()) // (out · in) F32 codes
                    .reshape(out, in)
                    .toType(DataType.INT32, false); // (out, in)
            NDArray s = p.scales().reshape(out, groups); // (out, groups)
            NDArray z = p.zeros().toType(DataType.FLOAT32, false).reshape(out, groups); // (out, groups)
            // (q − z)·s = (q − 8)·s + (8 − z)·s: the kernel's zero is a value, not a code
            NDArray zeroValue = Scalars.sub(z, 8).neg().mul(s); // (out, groups)
            for (int i = 0; i < blocks; i++) {
                NDIndex rows =
                        new NDIndex("{}:{}", tiles * i / blocks * KERNEL_ROWS, tiles * (i + 1) / blocks * KERNEL_ROWS);
                NDArray codes = PackedKernels.int4Pack(q.get(rows)); // (rows, in / 2) UINT8
                NDArray sz = NDArrays.stack(
                        new NDList(s.get(rows).transpose(), zeroValue.get(rows).transpose()), 2); // (groups, rows, 2)
                NDArray scaleAndZero = repeat == 1 ? sz : sz.repeat(0, repeat); // (in / kernelGroup, rows, 2)
                NDScope.unregister(codes, scaleAndZero);
                packedBlocks.add(new Block(codes, scaleAndZero));
            }
        }
        packed = new Packed(List.copyOf(packedBlocks));
        plain = null;
        p.arrays().forEach(NDArray::close);
        return Optional.empty();
    }

    /**
     * x·Wᵀ straight from the packed codes with PyTorch's int4 weight-only kernel ({@link PackedKernels}): the
     * dense weight is never made. No gradient flows through it; x is rounded to BF16 inside the kernel.
     *
     * @param x (..., in) F32 or F16
     * @return (..., out) in x's type
     * @throws IllegalStateException when the weight is not {@linkplain #pack packed}
     */
    public NDArray multiply(NDArray x) {
        Packed p = packed;
        if (p == null) {
            throw new IllegalStateException("the int4 weight is not packed for the kernel; dequantize it instead");
        }
        if (inputOrder == null) {
            return multiply(x, p.blocks());
        }
        try (NDArray ordered = x.get(new NDIndex("..., {}", inputOrder))) { // (..., in), stored column order
            return multiply(ordered, p.blocks());
        }
    }

    /** @param x (..., in) in stored column order; @return (..., out) */
    private static NDArray multiply(NDArray x, List<Block> blocks) {
        if (blocks.size() == 1) {
            return PackedKernels.int4(x, blocks.get(0).codes(), blocks.get(0).scaleAndZero());
        }
        if (InferenceThreads.active()) {
            NDArray y = InferenceThreads.concatenated(blocks.size(), i -> {
                Block b = blocks.get(i);
                return PackedKernels.int4(x, b.codes(), b.scaleAndZero()); // (..., rows of the block)
            });
            if (y != null) {
                return y;
            }
        }
        // outside an inference pass, or the inference threads busy: the blocks one after another
        NDList parts = new NDList();
        for (Block b : blocks) {
            parts.add(PackedKernels.int4(x, b.codes(), b.scaleAndZero())); // (..., rows of the block)
        }
        NDArray y = NDArrays.concat(parts, -1); // (..., out)
        parts.close();
        return y;
    }

    /** How many blocks of rows the packed weight has (0 when plain). */
    int blockCount() {
        Packed p = packed;
        return p == null ? 0 : p.blocks().size();
    }

    @Override
    public NDArray dequantize(DataType type) {
        Plain p = plain;
        if (p == null) {
            p = unpack();
        }
        long out = shape.get(0);
        long in = shape.get(1);
        NDArray q = Nibbles.lookup(p.codes(), p.codePairs()).reshape(-1, groupSize); // (out * g, group)
        NDArray zero = p.zeros().toType(DataType.FLOAT32, false).expandDims(1); // (out * g, 1)
        NDArray rows = q.sub(zero).mul(p.scales().expandDims(1)).reshape(out, -1); // (out, in + pad)
        if (rows.getShape().get(1) != in) {
            rows = rows.get(":, 0:{}", in); // (out, in)
        }
        if (inputOrder != null) {
            rows = rows.get(new NDIndex(":, {}", inputOrder.argSort())); // (out, in), features in order
        }
        return rows.toType(type, false);
    }

    /**
     * Back to the plain layout for good: the codes are read from the kernel itself by multiplying the identity with
     * unit scales and zero 8 ({@code (q − 8)·1 + 8 = q}, exact in BF16), the scales and zero points from
     * {@code scale_and_zero}.
     */
    private synchronized Plain unpack() {
        Plain p = plain;
        if (p != null) {
            return p;
        }
        Packed k = packed;
        NDManager manager = k.blocks().get(0).codes().getManager();
        long in = shape.get(1);
        long groups = in / groupSize;
        long kernelGroups = k.blocks().get(0).scaleAndZero().getShape().get(0);
        try (NDScope scope = new NDScope()) { // frees the temporaries, keeps what the weight holds
            scope.suppressNotUsedWarning();
            // each block's codes with unit scales and zero 8, so the kernel's product is the code itself
            List<Block> unitBlocks = new ArrayList<>();
            for (Block b : k.blocks()) {
                long rows = b.codes().getShape().get(0);
                NDArray unit = manager.ones(new Shape(kernelGroups, rows, 2)); // (in / kernelGroup, rows, 2)
                unit.set(new NDIndex(":, :, 1"), 8f);
                unitBlocks.add(new Block(b.codes(), unit));
            }
            List<NDArray> columns = new ArrayList<>();
            for (long start = 0; start < in; start += UNPACK_ROWS) {
                long n = Math.min(UNPACK_ROWS, in - start);
                // rows start..start+n of the (in, in) identity; PyTorch's eye takes no diagonal offset
                NDArray eye = NDArrays.concat(
                        new NDList(
                                manager.zeros(new Shape(n, start)),
                                manager.eye((int) n),
                                manager.zeros(new Shape(n, in - start - n))),
                        1); // (n, in)
                columns.add(multiply(eye, unitBlocks)); // (n, out): q of those input columns
            }
            NDArray q = NDArrays.concat(new NDList(columns), 0).transpose(); // (out, in) F32 codes
            long repeat = kernelGroups / groups;
            NDArray perGroup = k.scaleAndZero().get("::{}", repeat); // (groups, out, 2)
            NDArray s = perGroup.get(":, :, 0").transpose(); // (out, groups)
            NDArray zeroValue = perGroup.get(":, :, 1").transpose(); // (out, groups)
            NDArray safe = s.add(s.eq(0).toType(DataType.FLOAT32, false)); // a zero scale: any zero point works
            NDArray z = Scalars.clip(Scalars.sub(zeroValue.div(safe), 8).neg().round(), 0, 255); // 8 − (8 − z)·s / s
            Plain unpacked = new Plain(
                    Nibbles.pack(q.reshape(-1)),
                    s.reshape(-1).duplicate(), // contiguous, apart from scale_and_zero which is freed
                    z.reshape(-1).toType(DataType.UINT8, false),
                    Nibbles.pairTable(manager, CODES));
            unpacked.arrays().forEach(NDScope::unregister);
            plain = unpacked;
        }
        packed = null;
        k.arrays().forEach(NDArray::close);
        return plain;
    }

    @Override
    public QuantSpec spec() {
        return new QuantSpec(QuantSpec.Method.INT4, groupSize);
    }

    @Override
    public Shape shape() {
        return shape;
    }

    /** One scale per group, F32, in the plain layout's order (out · groups); read from the kernel's when packed. */
    public NDArray scales() {
        Plain p = plain;
        if (p != null) {
            return p.scales();
        }
        Packed k = packed;
        NDArray sz = k.scaleAndZero(); // (in / kernelGroup, out, 2)
        NDArray perGroup = sz.get("::{}, :, 0", sz.getShape().get(0) / (shape.get(1) / groupSize)); // (groups, out)
        NDArray scales = perGroup.transpose().reshape(-1); // (out · groups)
        if (k.blocks().size() > 1) {
            sz.close(); // the blocks' side by side, made for this call
        }
        return scales;
    }

    /**
     * The weight's input feature held by each stored input column, (in) INT64, when act-order groups reordered
     * them; empty when the columns are in order.
     */
    public Optional<NDArray> inputOrder() {
        return Optional.ofNullable(inputOrder);
    }

    @Override
    public List<NDArray> storage() {
        List<NDArray> arrays = new ArrayList<>();
        Packed k = packed;
        Plain p = plain;
        arrays.addAll(k != null ? k.arrays() : p.arrays());
        if (inputOrder != null) {
            arrays.add(inputOrder);
        }
        return arrays;
    }
}
