package dev.osprey.models.minimax;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny MiniMax-M2 checkpoint (tools/make-reference-fixtures.py: q/k normed over the
 * whole projection, rotary over half of each head, 4 experts in every layer chosen by a sigmoid router with a
 * correction bias).
 */
class MiniMaxM2ReferenceTest {

    private static final String TINY = "{\"model_type\": \"minimax_m2\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 4, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "minimax-m2", new MiniMaxM2Architecture());
    }

    @Test
    void gradientsFlowThroughTheRouterAndTheProjectionNorms() throws Exception {
        Path folder = HfReference.fixture(getClass(), "minimax-m2");
        GradientCheck.check(folder, new MiniMaxM2Architecture(), "model.layers.1.block_sparse_moe.gate.weight", 1e-2f);
        GradientCheck.check(folder, new MiniMaxM2Architecture(), "model.layers.0.self_attn.q_norm.weight", 1e-2f);
        GradientCheck.check(folder, new MiniMaxM2Architecture(), "model.layers.0.self_attn.k_norm.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("num_local_experts", TINY + ", \"num_experts_per_tok\": 2}");
        assertNamed("num_experts_per_tok", TINY + ", \"num_local_experts\": 4, \"num_experts_per_tok\": 5}");
        assertNamed(
                "scoring_func",
                TINY + ", \"num_local_experts\": 4, \"num_experts_per_tok\": 2," + " \"scoring_func\": \"softmax\"}");
        assertNamed("rotary_dim", TINY + ", \"num_local_experts\": 4, \"num_experts_per_tok\": 2, \"rotary_dim\": 6}");
        assertNamed(
                "shared_intermediate_size",
                TINY + ", \"num_local_experts\": 4, \"num_experts_per_tok\": 2," + " \"shared_intermediate_size\": 8}");
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, MiniMaxM2Architecture.MiniMaxM2Config::from);
    }
}
