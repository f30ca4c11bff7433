package dev.osprey.models.llama;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits (attached and merged) of a
 * tiny XVERSE checkpoint equal those transformers' LlamaForCausalLM computed on the same weights
 * (tools/make-qwen1-fixtures.py: XVERSE's config.json, without rope_theta).
 */
class XverseReferenceTest {

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "xverse", new XverseArchitecture());
    }

    @Test
    void xverseMoeIsRefusedByItsExperts() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(
                file,
                "{\"model_type\": \"xverse\", \"vocab_size\": 16, \"hidden_size\": 8, \"intermediate_size\": 16,"
                        + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"num_experts\": 64}");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> XverseArchitecture.config(HfConfig.read(file)));
        assertTrue(e.getMessage().contains("num_experts"), e.getMessage());
    }
}
