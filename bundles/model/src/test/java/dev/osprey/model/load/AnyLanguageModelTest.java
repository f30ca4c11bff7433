package dev.osprey.model.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.ForwardResult;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.Safetensors;
import dev.osprey.checkpoint.WeightFiles;

/** Loading by key into a LanguageModel that is not a DecoderModel, and the errors of what it cannot do. */
class AnyLanguageModelTest {

    /** A bigram table: logits are the row of the last token; one parameter, no linear layers. */
    private record Bigram(ModelConfig config, NDArray table) implements LanguageModel {
        @Override
        public Map<String, NDArray> parameters() {
            return Map.of("bigram.weight", table);
        }

        @Override
        public KvCache newCache(int batchSize) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ForwardResult forward(ForwardRequest request) {
            return new ForwardResult(table.get(request.inputIds()), null); // (B, T, V)
        }

        @Override
        public void close() {
            table.close();
        }
    }

    private static final ModelConfig CONFIG = HfConfig.of(Map.of("model_type", "bigram"), Path.of("config.json"));

    @Test
    void checkpointTensorsAreCopiedIntoTheLiveArraysByKey(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray live = manager.zeros(new Shape(3, 3));
            Bigram model = new Bigram(CONFIG, live);
            Map<String, NDArray> stored = new LinkedHashMap<>();
            stored.put("bigram.weight", manager.arange(9f).reshape(3, 3));
            stored.put("extra.weight", manager.ones(new Shape(2)));
            Safetensors.write(dir.resolve("model.safetensors"), stored, Map.of("format", "pt"), "F32");
            List<String> unused = ModelLoader.loadWeights(
                    model, WeightFiles.openFile(dir.resolve("model.safetensors")), manager, DataType.FLOAT32);
            assertEquals(List.of("extra.weight"), unused);
            assertSame(live, model.parameters().get("bigram.weight"), "the model keeps its own array");
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, live.toFloatArray());
            NDArray logits = model.forward(ForwardRequest.builder(manager.create(new long[] {2}, new Shape(1, 1)))
                            .build())
                    .logits(); // (1, 1, V)
            assertArrayEquals(new float[] {6, 7, 8}, logits.toFloatArray());

            Safetensors.write(
                    dir.resolve("other.safetensors"),
                    Map.of("other.weight", manager.ones(new Shape(3, 3))),
                    Map.of("format", "pt"),
                    "F32");
            IllegalArgumentException missing = assertThrows(
                    IllegalArgumentException.class,
                    () -> ModelLoader.loadWeights(
                            model, WeightFiles.openFile(dir.resolve("other.safetensors")), manager, DataType.FLOAT32));
            assertTrue(
                    missing.getMessage().contains("bigram.weight")
                            && missing.getMessage().contains("bigram ("),
                    missing.getMessage());
        }
    }

    @Test
    void loraIsRefusedNamingTheArchitectureThatDeclaresNoLinears() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Bigram model = new Bigram(CONFIG, manager.zeros(new Shape(3, 3)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraMerge.linearsOf(model));
            assertTrue(
                    e.getMessage().startsWith("bigram (") && e.getMessage().contains("AdaptableLinears"),
                    e.getMessage());
        }
    }
}
