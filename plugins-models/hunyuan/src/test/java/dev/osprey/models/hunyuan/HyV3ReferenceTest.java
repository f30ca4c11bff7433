package dev.osprey.models.hunyuan;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny Hy3 checkpoint (tools/make-reference-fixtures.py: per-head q/k norms, a dense
 * first layer, then 8 experts of which a sigmoid router with a correction bias keeps 2, renormalised and scaled by
 * 2.5, and a shared expert, under Hy3's keys router.gate, expert_bias and shared_mlp).
 */
class HyV3ReferenceTest {

    private static final String TINY = "{\"model_type\": \"hy_v3\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 4,"
            + " \"moe_intermediate_size\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "hy-v3", new HyV3Architecture());
    }

    @Test
    void gradientsFlowThroughTheRouterAndTheSharedExpert() throws Exception {
        Path folder = HfReference.fixture(getClass(), "hy-v3");
        // the router's rows (8 experts by hidden 32) of experts the check's tokens choose
        for (int expert : new int[] {3, 5}) {
            GradientCheck.check(
                    folder, new HyV3Architecture(), "model.layers.1.mlp.router.gate.weight", expert * 32, 1e-2f);
        }
        GradientCheck.check(folder, new HyV3Architecture(), "model.layers.1.mlp.shared_mlp.up_proj.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("num_experts_per_tok", TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 5}");
        assertNamed(
                "num_shared_experts",
                TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 2," + " \"num_shared_experts\": -1}");
        assertNamed(
                "mlp_layer_types",
                TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 2," + " \"mlp_layer_types\": [\"dense\"]}");
        assertNamed("mlp_bias", TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 2, \"mlp_bias\": true}");
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, HyV3Architecture.HyV3Config::from);
    }
}
