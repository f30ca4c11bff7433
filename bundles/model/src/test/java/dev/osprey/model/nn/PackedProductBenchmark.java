package dev.osprey.model.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

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
 * One batch-1 decode product, x (1, K) · Wᵀ with W (N, K), at TinyLlama-1.1B's sizes (K = 2048; N = 2048 for
 * the attention projections, 5632 for the MLP, 32000 for the head): microseconds per product and GB/s of weight
 * bytes read, for a dense F32 and F16 weight (as {@link Linear} multiplies them), an int8 weight dequantized in
 * the pass (what a quantized layer did before {@link PackedKernels}) and the packed int8 and int4 kernels, in one
 * call and split into a block of rows per core.
 * Each format cycles through enough copies of its weight (256 MB or more) that none stays in the caches, so
 * the figures are what decode sees. Not a test: run it with
 * {@code mvn -o -q test -pl bundles/model -Dtest=PackedProductBenchmark -Dosprey.bench=true}
 * ({@code -Dosprey.bench.repeats=5}: best of that many passes over the copies; {@code -Dosprey.bench.k=768
 * -Dosprey.bench.n=768,2048,32000}: another model's sizes, here the 110M shape's).
 */
@EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
class PackedProductBenchmark {

    private static final int K = Integer.getInteger("osprey.bench.k", 2048);
    private static final long BYTES_PER_PASS = 256L << 20;

    @Test
    void report() {
        int repeats = Integer.getInteger("osprey.bench.repeats", 3);
        System.out.printf(
                "x (1, %d) · Wᵀ, best of %d passes, %d core(s) for split rows%n",
                K, repeats, InferenceThreads.threads());
        for (int n : java.util.Arrays.stream(
                        System.getProperty("osprey.bench.n", "2048,5632,32000").split(","))
                .mapToInt(Integer::parseInt)
                .toArray()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                measure(manager, n, repeats);
            }
        }
    }

    private static void measure(NDManager manager, int n, int repeats) {
        NDArray w = manager.randomNormal(0, 0.02f, new Shape(n, K), DataType.FLOAT32); // (N, K)
        NDArray x = manager.randomNormal(new Shape(1, K)); // (1, K)
        NDArray x16 = x.toType(DataType.FLOAT16, false);
        Int8Weight int8 = (Int8Weight) QuantizedWeight.quantize(w, QuantSpec.int8());
        Int4Kernel int4 = Int4Kernel.of(w, 128);

        NDArray[] f32 = copies(w, 4);
        NDArray[] f16 = copies(w.toType(DataType.FLOAT16, false), 2);
        Int8Weight[] i8 = new Int8Weight[count(n, 1)];
        for (int i = 0; i < i8.length; i++) {
            i8[i] = (Int8Weight) QuantizedWeight.quantize(f32[i % f32.length], QuantSpec.int8());
        }
        NDArray[] i4 = copies(int4.packed, 0.5);
        Int4Weight[] i4Split = new Int4Weight[i4.length];
        for (int i = 0; i < i4Split.length; i++) {
            try (NDScope scope = new NDScope()) { // frees the quantizer's temporaries, keeps the packed blocks
                i4Split[i] = Int4Weight.quantize(f32[i % f32.length], 128);
                i4Split[i].packInBlocks(InferenceThreads.threads()); // as Int4Weight packs from SPLIT_BYTES
                i4Split[i].storage().forEach(NDScope::unregister);
            }
        }
        RowBlocks[] f32Split = new RowBlocks[f32.length];
        RowBlocks[] f16Split = new RowBlocks[f16.length];
        for (int i = 0; i < f32.length; i++) {
            f32Split[i] = new RowBlocks(f32[i]);
        }
        for (int i = 0; i < f16.length; i++) {
            f16Split[i] = new RowBlocks(f16[i]);
        }
        // the packed product's error against the dense F32 one, to read beside the speed
        NDArray exact = x.matMul(w.transpose()); // (1, N)
        float int8Error = relative(int8.multiply(x), exact);
        float int4Error = relative(PackedKernels.int4(x, int4.packed, int4.scaleAndZero), exact);
        long weights = (long) n * K;
        report(n, "F32 dense, one core", weights * 4, repeats, f32.length, i -> x.matMul(f32[i].transpose()));
        report(n, "F32 dense, split rows", weights * 4, repeats, f32.length, i -> f32Split[i].multiply(x));
        NDArray column = x.reshape(K); // (K): W·x with a 1-D x is PyTorch's mv, BLAS's gemv
        report(n, "F32 dense, W·x (mv)", weights * 4, repeats, f32.length, i -> f32[i].matMul(column));
        report(n, "F16 dense, one core", weights * 2, repeats, f16.length, i -> x16.matMul(f16[i].transpose()));
        report(n, "F16 dense, split rows", weights * 2, repeats, f16.length, i -> f16Split[i].multiply(x16));
        report(n, "int8 dequantized", weights, repeats, i8.length, i -> {
            try (NDScope scope = new NDScope()) { // frees the dense copy each time, as a layer's pass does
                NDArray y = x.matMul(i8[i].dequantize(DataType.FLOAT32).transpose()); // (1, N)
                NDScope.unregister(y);
                return y;
            }
        });
        report(n, "int8 packed (F32 x)", weights, repeats, i8.length, i -> i8[i].multiply(x));
        report(n, "int8 packed (F16 x)", weights, repeats, i8.length, i -> i8[i].multiply(x16));
        report(n, "int8 packed, split rows", weights, repeats, i8.length, i -> splitInt8(x, i8[i]));
        report(n, "int8 packed (F16), split", weights, repeats, i8.length, i -> splitInt8(x16, i8[i]));
        report(
                n,
                "int4 packed, g128",
                weights / 2,
                repeats,
                i4.length,
                i -> PackedKernels.int4(x, i4[i], int4.scaleAndZero));
        report(
                n,
                "int4 packed, split rows",
                weights / 2,
                repeats,
                i4Split.length,
                i -> InferenceThreads.during(() -> i4Split[i].multiply(x)));
        System.out.printf("  N=%d relative error of the product: int8 %.4f, int4/128 %.4f%n", n, int8Error, int4Error);
    }

    /**
     * The packed int8 product cut into one block of rows per core, the blocks multiplied at once on the inference
     * threads, as {@link RowBlocks} does for a dense weight, whatever its size ({@link Int8Weight} splits from
     * {@code Int8Weight.SPLIT_BYTES}).
     */
    private static NDArray splitInt8(NDArray x, Int8Weight w) {
        NDArray codes = w.storage().get(0); // (N, K) int8
        NDArray scales = w.storage().get(1); // (N, 1)
        long rows = codes.getShape().get(0);
        int ways = InferenceThreads.threads();
        NDArray[][] blocks = new NDArray[ways][];
        for (int i = 0; i < ways; i++) {
            NDIndex range = new NDIndex("{}:{}", rows * i / ways, rows * (i + 1) / ways);
            blocks[i] = new NDArray[] {codes.get(range), scales.get(range)}; // views
        }
        NDArray y = InferenceThreads.concatenated(ways, b -> PackedKernels.int8(x, blocks[b][0], blocks[b][1]));
        if (y == null) {
            throw new IllegalStateException("the inference threads are busy");
        }
        for (NDArray[] block : blocks) {
            block[0].close();
            block[1].close();
        }
        return y; // (1, N)
    }

    private interface Product {
        NDArray run(int copy);
    }

    private static void report(int n, String what, long bytes, int repeats, int copies, Product product) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < copies; i++) {
                product.run(i).close();
            }
            best = Math.min(best, (System.nanoTime() - start) / 1e3 / copies);
        }
        System.out.printf("  N=%-5d %-24s %9.0f µs  %5.1f GB/s%n", n, what, best, bytes / best / 1e3);
    }

    private static int count(int n, double bytesPerWeight) {
        return (int) Math.max(2, BYTES_PER_PASS / (long) (n * (long) K * bytesPerWeight));
    }

    /** Distinct copies of {@code a}, enough that one pass over them reads {@link #BYTES_PER_PASS}. */
    private static NDArray[] copies(NDArray a, double bytesPerWeight) {
        NDArray[] c = new NDArray[count((int) a.getShape().get(0), bytesPerWeight)];
        for (int i = 0; i < c.length; i++) {
            c[i] = a.duplicate();
        }
        return c;
    }

    private static float relative(NDArray a, NDArray b) {
        return a.sub(b).norm().getFloat() / b.norm().getFloat();
    }

    /** GPTQ-style asymmetric int4 in groups of {@code group}, in the packed kernel's layout. */
    private record Int4Kernel(NDArray packed, NDArray scaleAndZero) {

        /** @param w (N, K) F32 */
        static Int4Kernel of(NDArray w, int group) {
            long n = w.getShape().get(0);
            long k = w.getShape().get(1);
            NDArray groups = w.reshape(n, k / group, group); // (N, K / group, group)
            NDArray min = Scalars.minimum(groups.min(new int[] {2}, true), 0); // (N, K / group, 1)
            NDArray max = Scalars.maximum(groups.max(new int[] {2}, true), 0);
            NDArray scale = Scalars.div(max.sub(min), 15);
            NDArray zero = Scalars.clip(min.neg().div(scale).round(), 0, 15); // integer zero point
            NDArray q = Scalars.clip(groups.div(scale).round().add(zero), 0, 15); // (N, K / group, group)
            NDArray packed = PackedKernels.int4Pack(q.reshape(n, k).toType(DataType.INT32, false)); // (N, K / 2)
            // (q − z)·s = (q − 8)·s + (8 − z)·s: the kernel's zero is a value, not a code
            NDArray value = Scalars.sub(zero, 8).neg().mul(scale); // (N, K / group, 1)
            NDArray scaleAndZero = NDArrays.stack(
                    new NDList(
                            scale.reshape(n, k / group).transpose(),
                            value.reshape(n, k / group).transpose()),
                    2); // (K / group, N, 2)
            return new Int4Kernel(packed, scaleAndZero);
        }
    }
}
