package dev.osprey.models.deepseek;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * DeepSeek-MoE (DeepseekForCausalLM) equals its published remote code on a tiny checkpoint
 * (tools/make-remote-moe-fixtures.py): four layers of which only layer 2 has experts (first_k_dense_replace 1,
 * moe_layer_freq 2), a softmax router keeping 3 of 8 renormalised, two shared experts; logits, loss, greedy tokens
 * batched and alone, and a LoRA adapter on the attention and every MLP.
 */
class DeepseekV1ReferenceTest {

    private static final String TINY = "{\"model_type\": \"deepseek\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2,"
            + " \"moe_intermediate_size\": 4, \"n_routed_experts\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTheRemoteCode() throws Exception {
        HfReference.check(getClass(), "deepseek-moe", new DeepseekV1Architecture());
    }

    @Test
    void gradientsFlowThroughTheRouterAndTheSharedExperts() throws Exception {
        Path folder = HfReference.fixture(getClass(), "deepseek-moe");
        GradientCheck.check(folder, new DeepseekV1Architecture(), "model.layers.2.mlp.gate.weight", 1e-2f);
        GradientCheck.check(
                folder, new DeepseekV1Architecture(), "model.layers.2.mlp.shared_experts.down_proj.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("num_experts_per_tok", TINY + ", \"num_experts_per_tok\": 5}");
        assertNamed("scoring_func", TINY + ", \"num_experts_per_tok\": 2, \"scoring_func\": \"sigmoid\"}");
        assertNamed("moe_layer_freq", TINY + ", \"num_experts_per_tok\": 2, \"moe_layer_freq\": 0}");
        assertNamed(
                "rope_scaling",
                TINY + ", \"num_experts_per_tok\": 2, \"rope_scaling\": {\"type\": \"linear\"," + " \"factor\": 2}}");
        assertNamed("n_shared_experts", TINY + ", \"num_experts_per_tok\": 2, \"n_shared_experts\": -1}");
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, DeepseekV1Architecture.DeepseekV1Config::from);
    }
}
