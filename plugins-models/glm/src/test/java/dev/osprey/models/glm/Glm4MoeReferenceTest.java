package dev.osprey.models.glm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny GLM-4-MoE checkpoint (written by tools/make-reference-fixtures.py: half-layout
 * rotary over half of each head, q/k norms, q/k/v biases, a dense first layer, then 8 experts in 4 groups of which
 * the sigmoid router keeps 2 groups and 2 experts, with a correction bias, and a shared expert).
 */
class Glm4MoeReferenceTest {

    private static final String TINY = "{\"model_type\": \"glm4_moe\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 8,"
            + " \"moe_intermediate_size\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "glm4-moe", new Glm4MoeArchitecture());
    }

    @Test
    void gradientsFlowThroughTheRouterAndTheSharedExpert() throws Exception {
        Path folder = HfReference.fixture(getClass(), "glm4-moe");
        // the router's rows (8 experts by hidden 32) of experts 2 and 5, which the check's tokens choose
        GradientCheck.check(folder, new Glm4MoeArchitecture(), "model.layers.1.mlp.gate.weight", 2 * 32, 1e-2f);
        GradientCheck.check(folder, new Glm4MoeArchitecture(), "model.layers.1.mlp.gate.weight", 5 * 32, 1e-2f);
        GradientCheck.check(
                folder, new Glm4MoeArchitecture(), "model.layers.1.mlp.shared_experts.up_proj.weight", 1e-2f);
        GradientCheck.check(folder, new Glm4MoeArchitecture(), "model.layers.1.self_attn.q_norm.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("n_routed_experts", TINY + ", \"num_experts_per_tok\": 2}");
        assertNamed("num_experts_per_tok", TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 5}");
        assertNamed("n_group", TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"n_group\": 3}");
        assertNamed(
                "topk_group",
                TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"n_group\": 2, \"topk_group\": 3}");
        assertNamed(
                "first_k_dense_replace",
                TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"first_k_dense_replace\": -1}");
        assertNamed(
                "partial_rotary_factor",
                TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"partial_rotary_factor\": 0}");
    }

    private void assertNamed(String field, String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Glm4MoeArchitecture.Glm4MoeConfig.from(HfConfig.read(file)));
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
