package dev.osprey.models.dots;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny dots.llm1 checkpoint (tools/make-reference-fixtures.py: per-head q/k norms, a
 * dense first layer, then 8 experts in 4 groups of which the sigmoid router keeps 2 groups and 2 experts, with a
 * correction bias, and a shared expert).
 */
class Dots1ReferenceTest {

    private static final String TINY = "{\"model_type\": \"dots1\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 4,"
            + " \"moe_intermediate_size\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "dots1", new Dots1Architecture());
    }

    @Test
    void gradientsFlowThroughTheRouterTheSharedExpertAndTheQkNorms() throws Exception {
        Path folder = HfReference.fixture(getClass(), "dots1");
        // the router's rows (8 experts by hidden 32) of two experts the check's tokens choose
        GradientCheck.check(folder, new Dots1Architecture(), "model.layers.1.mlp.gate.weight", 2 * 32, 1e-2f);
        GradientCheck.check(folder, new Dots1Architecture(), "model.layers.1.mlp.gate.weight", 5 * 32, 1e-2f);
        GradientCheck.check(folder, new Dots1Architecture(), "model.layers.1.mlp.shared_experts.up_proj.weight", 1e-2f);
        GradientCheck.check(folder, new Dots1Architecture(), "model.layers.1.self_attn.k_norm.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("n_routed_experts", TINY + ", \"num_experts_per_tok\": 2}");
        // the router fields (num_experts_per_tok, n_group, topk_group) are the SPI's: MixtureOfExpertsTest
        assertNamed(
                "first_k_dense_replace",
                TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"first_k_dense_replace\": -1}");
        assertNamed(
                "layer_types",
                TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"sliding_window\": 4,"
                        + " \"layer_types\": [\"full_attention\", \"sliding_attention\"]}");
    }

    @Test
    void slidesInEveryLayerOrNone() throws Exception {
        String moe = TINY + ", \"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"sliding_window\": 4";
        assertEquals(0, config(moe + "}").slidingWindow()); // max_window_layers defaults to every layer
        assertEquals(4, config(moe + ", \"max_window_layers\": 0}").slidingWindow());
    }

    private Dots1Architecture.Dots1Config config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return Dots1Architecture.Dots1Config.from(HfConfig.read(file));
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, Dots1Architecture.Dots1Config::from);
    }
}
