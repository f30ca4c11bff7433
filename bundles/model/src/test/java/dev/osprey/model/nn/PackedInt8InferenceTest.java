package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.RelativeError;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;

/**
 * Int8 weights serve packed: an inference pass multiplies by the int8 codes with PyTorch's weight-only kernel
 * (through {@link PackedKernels}), the model holds only codes and scales, and its logits stay as close to the
 * dense model's as int8 quantization allows.
 */
class PackedInt8InferenceTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray ids() {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    private NDArray logits(DecoderModel model, boolean training) {
        return model.forward(ForwardRequest.builder(ids()).optTraining(training).build())
                .logits();
    }

    /** ‖a − b‖ / ‖b‖. */
    @Test
    void aPackedProductMatchesTheDequantizedWeightToBf16Accuracy() {
        Params params = new Params(manager, DataType.FLOAT32, 7, 0.05);
        Linear linear = new Linear(params, "proj", 512, 384, false);
        linear.quantize(QuantSpec.int8());
        NDArray x = manager.randomNormal(new Shape(2, 3, 512)); // (batch, positions, in)
        NDArray w = linear.dequantizedWeight(DataType.FLOAT32); // (384, 512)
        NDArray dequantized = x.matMul(w.transpose()); // (2, 3, 384)
        NDArray packed = linear.forward(x);
        assertEquals(new Shape(2, 3, 384), packed.getShape());
        assertEquals(DataType.FLOAT32, packed.getDataType());
        // the kernel rounds x and its result to BF16 (8 significant bits): about 2⁻⁹ of each, relative
        float error = RelativeError.of(packed, dequantized);
        System.out.println("packed int8 product vs the dequantized weight's: relative error " + error);
        assertTrue(error > 0 && error < 0.01, "relative error " + error);
        NDArray half = linear.forward(x.toType(DataType.FLOAT16, false));
        assertEquals(DataType.FLOAT16, half.getDataType());
        float halfError = RelativeError.of(half.toType(DataType.FLOAT32, false), dequantized);
        assertTrue(halfError < 0.01, "relative error from F16 input " + halfError);
    }

    /** In an inference pass a large weight is multiplied one block of rows per core: the numbers of one call. */
    @Test
    void aLargeWeightSplitAcrossCoresGivesTheProductOfOneCall() {
        assumeTrue(InferenceThreads.threads() > 1, "one core: nothing to split across");
        Int8Weight q = Int8Weight.quantize(manager.randomNormal(new Shape(4096, 2048))); // 8 MiB of codes
        NDArray x = manager.randomNormal(new Shape(1, 2048));
        NDArray whole = q.multiply(x); // (1, 4096), outside a pass: one call
        assertEquals(0, q.rowBlockCount());
        NDArray split = InferenceThreads.during(() -> q.multiply(x));
        assertEquals(InferenceThreads.threads(), q.rowBlockCount());
        assertEquals(new Shape(1, 4096), split.getShape());
        assertArrayEquals(whole.toFloatArray(), split.toFloatArray());
    }

    @Test
    void aServedInt8ModelKeepsOnlyCodesAndScalesAndItsLogitsStayClose() {
        DecoderModel dense = TinyModels.build(manager, TinyModels.llama(), 51);
        NDArray denseLogits = logits(dense, false);
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 51);
        long denseBytes =
                model.linears().stream().mapToLong(Linear::weightBytes).sum();
        model.linears().forEach(l -> l.quantize(QuantSpec.int8()));

        // memory: one byte per weight plus one F32 scale per output row, and no dense weight left anywhere
        long packedBytes = 0;
        for (Linear l : model.linears()) {
            assertNull(model.params().get(l.name() + ".weight"), l.name());
            Int8Weight q = (Int8Weight) l.quantizedWeight();
            long bytes = q.storage().stream()
                    .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes())
                    .sum();
            assertEquals(l.outFeatures() * l.inFeatures() + 4 * l.outFeatures(), bytes, l.name());
            assertEquals(bytes, l.weightBytes(), l.name());
            packedBytes += bytes;
        }
        System.out.println("linear weights: dense F32 " + denseBytes + " bytes, packed int8 " + packedBytes);
        assertTrue(packedBytes * 3 < denseBytes, packedBytes + " vs " + denseBytes);

        NDArray served = logits(model, false); // inference: packed kernel
        NDArray dequantized = logits(model, true); // training pass: dense F32 product of the dequantized weight
        float quantError = RelativeError.of(dequantized, denseLogits);
        float servedError = RelativeError.of(served, denseLogits);
        float kernelError = RelativeError.of(served, dequantized);
        System.out.println("logits relative error: int8 dequantized " + quantError + ", int8 packed " + servedError
                + ", packed vs dequantized " + kernelError);
        // QuantizedLinearTest measures int8 logits at about 0.013-0.018 relative on these tiny models; BF16
        // activations in the kernel may add about as much again, never more than the quantization itself
        assertTrue(quantError > 0 && quantError < 0.03, "int8 quantization error " + quantError);
        assertTrue(kernelError > 0 && kernelError < quantError, "packed kernel vs dequantized " + kernelError);
        assertTrue(servedError < 2 * quantError, "served int8 logits error " + servedError);
    }
}
