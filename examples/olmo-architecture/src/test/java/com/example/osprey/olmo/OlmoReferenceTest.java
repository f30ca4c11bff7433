package com.example.osprey.olmo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.HfReference;

/**
 * OLMo against Hugging Face transformers' own outputs for a tiny checkpoint it wrote
 * ({@code tools/make-example-fixtures.py}): logits of a left-padded batch, the loss, greedy tokens with
 * and without the KV cache's batch, and a PEFT LoRA adapter on q, v and down.
 */
class OlmoReferenceTest {

    @Test
    void reproducesTransformers() throws Exception {
        HfReference.check(OlmoReferenceTest.class, "olmo", new OlmoArchitecture());
    }

    /** The fixture clamps: without clip_qkv the same weights give other logits, so the reference shows the clamp. */
    @Test
    void theFixturesClampMatters() throws Exception {
        Path fixture = HfReference.fixture(OlmoReferenceTest.class, "olmo");
        @SuppressWarnings("unchecked")
        Map<String, Object> config =
                new ObjectMapper().readValue(fixture.resolve("config.json").toFile(), Map.class);
        assertEquals(1.0, ((Number) config.get("clip_qkv")).doubleValue());
        Path unclamped = Files.createTempDirectory("olmo-unclamped");
        try {
            for (String f : new String[] {"model.safetensors", "generation_config.json", "reference.json"}) {
                Files.copy(fixture.resolve(f), unclamped.resolve(f));
            }
            config.remove("clip_qkv");
            new ObjectMapper().writeValue(unclamped.resolve("config.json").toFile(), config);
            AssertionError differs =
                    assertThrows(AssertionError.class, () -> HfReference.check(unclamped, new OlmoArchitecture()));
            assertTrue(differs.getMessage() != null, "the reference check names what differs");
        } finally {
            try (var files = Files.walk(unclamped)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aNegativeClipIsRefusedNamingTheField() {
        HfConfig config = HfConfig.of(
                Map.of(
                        "vocab_size",
                        8,
                        "hidden_size",
                        8,
                        "intermediate_size",
                        16,
                        "num_hidden_layers",
                        1,
                        "num_attention_heads",
                        2,
                        "clip_qkv",
                        -1.0),
                Path.of("config.json"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> OlmoArchitecture.OlmoConfig.from(config));
        assertTrue(e.getMessage().contains("clip_qkv") && e.getMessage().contains("config.json"), e.getMessage());
    }
}
