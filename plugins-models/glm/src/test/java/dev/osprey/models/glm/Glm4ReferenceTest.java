package dev.osprey.models.glm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.InterleavedRope;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny GLM-4 checkpoint (written by tools/make-reference-fixtures.py; its
 * interleaved rotary embedding covers half of each head, and every layer has both sandwich norms).
 */
class Glm4ReferenceTest {

    private static final String TINY = "{\"model_type\": \"glm4\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"head_dim\": 8";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "glm4", new Glm4Architecture());
    }

    @Test
    void gradientsFlowThroughTheSandwichNormsAndTheInterleavedRope() throws Exception {
        Path folder = HfReference.fixture(getClass(), "glm4");
        GradientCheck.check(folder, new Glm4Architecture(), "model.layers.0.post_self_attn_layernorm.weight", 1e-2f);
        GradientCheck.check(folder, new Glm4Architecture(), "model.layers.0.post_mlp_layernorm.weight", 1e-2f);
        // k reaches the loss only through the rotary embedding (its first half rotated, the rest passed)
        GradientCheck.check(folder, new Glm4Architecture(), "model.layers.0.self_attn.k_proj.bias", 1e-2f);
    }

    @Test
    void partialRotaryFactorIsReadAtTheTopLevelOrInRopeParametersAndDefaultsToHalf() throws Exception {
        assertEquals(4, rope(TINY + "}").dim());
        assertEquals(2, rope(TINY + ", \"partial_rotary_factor\": 0.25}").dim());
        assertEquals(
                8,
                rope(TINY + ", \"rope_parameters\": {\"rope_theta\": 10000.0, \"rope_type\": \"default\","
                                + " \"partial_rotary_factor\": 1.0}}")
                        .dim());
        // the frequencies are those of the rotated width: base^(-2i/dim)
        float[] inv = rope(TINY + ", \"rope_theta\": 100.0}").inverseFrequencies(8);
        assertEquals(2, inv.length);
        assertEquals(1 / 10.0, inv[1], 1e-6);
    }

    @Test
    void aWrongPartialRotaryFactorIsNamed() throws Exception {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> rope(TINY + ", \"partial_rotary_factor\": 0}"));
        assertTrue(e.getMessage().contains("partial_rotary_factor"), e.getMessage());
    }

    @Test
    void theSandwichNormsLiveBesideTheirBlock() {
        assertEquals(
                "model.layers.3.post_self_attn_layernorm",
                SandwichNorms.besides("model.layers.3.self_attn", "post_self_attn_layernorm"));
    }

    private InterleavedRope rope(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return Glm4Architecture.Glm4Config.from(HfConfig.read(file)).rope();
    }
}
