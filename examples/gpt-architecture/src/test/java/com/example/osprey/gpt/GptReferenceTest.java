package com.example.osprey.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.ModelSaver;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.reference.HfReference;

/**
 * GPT-2 against Hugging Face transformers' own outputs for a tiny checkpoint it wrote
 * ({@code tools/make-example-fixtures.py}): logits of a left-padded batch, the loss, greedy tokens with and
 * without the KV cache's batch, and a PEFT LoRA adapter on the Conv1D layers (fan_in_fan_out), unmerged and
 * merged.
 */
class GptReferenceTest {

    @Test
    void reproducesTransformers() throws Exception {
        HfReference.check(GptReferenceTest.class, "gpt2", new GptArchitecture());
    }

    /**
     * The reference tells the activations apart: read as exact (erf) GELU instead of GPT-2's tanh
     * approximation, the same weights miss transformers' logits.
     */
    @Test
    void theReferenceSeesTheActivation(@TempDir Path dir) throws Exception {
        Path fixture = HfReference.fixture(GptReferenceTest.class, "gpt2");
        @SuppressWarnings("unchecked")
        Map<String, Object> config =
                new ObjectMapper().readValue(fixture.resolve("config.json").toFile(), Map.class);
        assertEquals("gelu_new", config.get("activation_function"));
        for (String f : new String[] {"model.safetensors", "generation_config.json", "reference.json"}) {
            Files.copy(fixture.resolve(f), dir.resolve(f));
        }
        config.put("activation_function", "gelu");
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), config);
        assertThrows(AssertionError.class, () -> HfReference.check(dir, new GptArchitecture()));
    }

    /** Loading and saving go by checkpoint key through LanguageModel alone: a saved copy gives the same logits. */
    @Test
    void savesAndReloadsByKey(@TempDir Path dir) throws Exception {
        Path fixture = HfReference.fixture(GptReferenceTest.class, "gpt2");
        Path saved = dir.resolve("saved");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(fixture, c -> new GptArchitecture(), manager, DataType.FLOAT32)) {
            assertFalse(model.model() instanceof DecoderModel, "the example is a LanguageModel of its own");
            // a LoRA adapter merged into the Conv1D weights, then the whole model written and read back
            PeftAdapter.attach(fixture.resolve("adapter"), LoraMerge.linearsOf(model.model()), "a", manager);
            float[] adapted = logits(model, manager, "a");
            LoraMerge.merge(model.model(), "a");
            ModelSaver.save(model.model(), saved, "F32", Map.of());
            assertFalse(Files.exists(saved.resolve("lm_head.weight")));
            try (HfModel reloaded = ModelLoader.load(saved, c -> new GptArchitecture(), manager, DataType.FLOAT32)) {
                assertEquals(List.of(), reloaded.unusedWeights());
                float[] again = logits(reloaded, manager, null);
                assertEquals(adapted.length, again.length);
                for (int i = 0; i < adapted.length; i++) {
                    assertEquals(adapted[i], again[i], 1e-4f * Math.max(1, Math.abs(adapted[i])), "logit " + i);
                }
            }
        }
    }

    @Test
    void aConfigItCannotRunIsRefusedNamingTheField() {
        HfConfig config = HfConfig.of(
                Map.of("vocab_size", 8, "n_embd", 8, "n_layer", 1, "n_head", 3, "n_positions", 16),
                Path.of("config.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GptConfig.from(config));
        assertTrue(e.getMessage().contains("n_head") && e.getMessage().contains("config.json"), e.getMessage());
        HfConfig relu = HfConfig.of(
                Map.of(
                        "vocab_size",
                        8,
                        "n_embd",
                        8,
                        "n_layer",
                        1,
                        "n_head",
                        2,
                        "n_positions",
                        16,
                        "activation_function",
                        "relu"),
                Path.of("config.json"));
        e = assertThrows(IllegalArgumentException.class, () -> GptConfig.from(relu));
        assertTrue(e.getMessage().contains("activation_function"), e.getMessage());
    }

    private static float[] logits(HfModel model, NDManager manager, String adapter) {
        try (NDManager m = manager.newSubManager()) {
            NDArray ids = m.create(new long[] {1, 17, 93, 5, 44, 120}, new Shape(1, 6)); // (1, T)
            NDArray logits = model.model()
                    .forward(ForwardRequest.builder(ids).optAdapter(adapter).build())
                    .logits(); // (1, T, V)
            assertArrayEquals(new long[] {1, 6, 128}, logits.getShape().getShape());
            return logits.toFloatArray();
        }
    }
}
