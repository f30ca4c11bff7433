package dev.osprey.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.RelativeError;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.Int8Weight;
import dev.osprey.model.nn.Linear;
import dev.osprey.models.llama.LlamaArchitecture;

/**
 * {@code quant_bits 8} on the DJL backend ({@code osprey deploy --quant_bits 8}): the checkpoint's linear layers
 * are quantized per row while loading and served from their int8 codes by the packed kernel, so the session holds
 * one byte per weight, and its logits stay as close to the dense checkpoint's as int8 quantization allows.
 */
class DjlSessionInt8Test {

    private static final int VOCAB = 96;

    @TempDir
    Path dir;

    @Test
    void anInt8SessionHoldsCodesAndScalesAndItsLogitsStayCloseToTheDenseModel() throws Exception {
        Path model = TinyCheckpoint.model(dir.resolve("model"), VOCAB, 128, 2, 4, 2, 256, 64);
        try (NDManager referenceManager = NDManager.newBaseManager();
                HfModel dense =
                        ModelLoader.load(model, c -> new LlamaArchitecture(), referenceManager, DataType.FLOAT32);
                DjlSession session = DjlSession.open(
                        model,
                        c -> new LlamaArchitecture(),
                        NDManager.newBaseManager(),
                        new BackendOptions("tiny", "tiny", Map.of(), "cpu", Map.of("quant_bits", "8")),
                        List.of())) {
            DecoderModel served = assertInstanceOf(DecoderModel.class, session.model());
            long denseBytes = ((DecoderModel) dense.model())
                    .linears().stream().mapToLong(Linear::weightBytes).sum();

            // memory: each linear is int8 codes (out, in) and one F32 scale per row; no dense copy is left
            long packedBytes = 0;
            for (Linear l : served.linears()) {
                Int8Weight q = assertInstanceOf(Int8Weight.class, l.quantizedWeight(), l.name());
                assertNull(served.params().get(l.name() + ".weight"), l.name());
                long bytes = q.storage().stream()
                        .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes())
                        .sum();
                assertEquals(l.outFeatures() * l.inFeatures() + 4 * l.outFeatures(), bytes, l.name());
                packedBytes += bytes;
            }
            System.out.println("served linear weights: dense F32 " + denseBytes + " bytes, int8 " + packedBytes);
            assertTrue(packedBytes * 3 < denseBytes, packedBytes + " vs " + denseBytes);

            NDArray ids = referenceManager.create(
                    new long[] {1, 5, 9, 12, 40, 41, 60, 70, 8, 33, 90, 11}, new Shape(1, 12)); // (batch, positions)
            NDArray denseLogits = dense.model()
                    .forward(ForwardRequest.builder(ids).build())
                    .logits()
                    .toType(DataType.FLOAT32, false);
            NDArray packedLogits =
                    served.forward(ForwardRequest.builder(ids).build()).logits(); // inference: packed kernel
            NDArray dequantizedLogits = served.forward(ForwardRequest.builder(ids)
                            .optTraining(true) // dense F32 product of the dequantized codes
                            .build())
                    .logits();
            float quantError = RelativeError.of(dequantizedLogits, denseLogits);
            float servedError = RelativeError.of(packedLogits, denseLogits);
            System.out.println(
                    "logits relative error: int8 dequantized " + quantError + ", served packed " + servedError);
            // one int8 product is off by about 0.009 relative (PackedProductBenchmark); through two random layers
            // (initializer range 0.2) the logits measured 0.037; the packed kernel adds only the BF16 rounding of
            // its activations to that, less than the quantization's own error
            assertTrue(quantError > 0 && quantError < 0.08, "int8 quantization error " + quantError);
            assertTrue(servedError > 0 && servedError < 2 * quantError, "served int8 error " + servedError);

            // the session generates with those layers: the same tokens as the model core on the same model
            DjlSessionTest.assertGeneratesAsTheModelCore(session, served);
        }
    }

    @Test
    void anUnknownQuantizationIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ServingSettings.parse(Map.of("quant_bits", "4", "quant_type", "fp4")));
        assertTrue(e.getMessage().contains("quant_bits"), e.getMessage());
        assertTrue(e.getMessage().contains("fp4"), e.getMessage());
        assertNull(ServingSettings.parse(Map.of()).quantization());
    }
}
