package dev.osprey.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.nn.Int4Weight;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.HfReference;

/**
 * GPTQ and AWQ checkpoints load as their own int4 codes (no dense weight is made), and a model loaded that way
 * saves whole as a dense checkpoint: its quantized layers are written dequantized, and the folder reloads to the
 * same logits.
 */
class PrequantizedCodesTest {

    @TempDir
    Path dir;

    private static NDArray logits(HfModel hf, NDManager manager) {
        NDArray ids = manager.create(new long[] {1, 5, 9, 12, 40, 41, 60, 70}, new Shape(1, 8));
        return hf.model().forward(ForwardRequest.builder(ids).build()).logits(); // (1, 8, vocab)
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gptq", "llama-awq", "llama-gptq-g32", "llama-awq-g32"})
    void loadsAsCodesAndSavesDense(String fixture) throws Exception {
        Path folder = HfReference.fixture(getClass(), fixture);
        Path saved = dir.resolve("dense");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(folder, c -> new LlamaArchitecture(), manager, DataType.FLOAT32)) {
            DecoderModel decoder = (DecoderModel) hf.model();
            for (Linear l : decoder.linears()) {
                Int4Weight codes = assertInstanceOf(Int4Weight.class, l.quantizedWeight(), l.name());
                assertNull(decoder.params().get(l.name() + ".weight"), l.name());
                // act-order GPTQ reorders the input columns (the fixtures shuffle g_idx), AWQ keeps them in order
                assertEquals(fixture.contains("gptq"), codes.inputOrder().isPresent(), l.name());
            }
            float[] before = logits(hf, manager).toFloatArray();
            ModelSaver.save(hf.model(), saved, "F32", Map.of());
            Set<String> tensors =
                    Safetensors.readHeader(saved.resolve("model.safetensors")).keySet();
            assertTrue(tensors.contains("model.layers.1.mlp.down_proj.weight"), tensors.toString());
            assertTrue(tensors.stream().noneMatch(t -> t.endsWith(".qweight")), tensors.toString());
            try (HfModel reloaded = ModelLoader.load(saved, c -> new LlamaArchitecture(), manager, DataType.FLOAT32)) {
                DecoderModel dense = (DecoderModel) reloaded.model();
                assertTrue(dense.linears().stream().allMatch(l -> l.quantizedWeight() == null));
                assertArrayEquals(before, logits(reloaded, manager).toFloatArray(), 1e-4f);
            }
        }
    }
}
