package dev.osprey.models.bailing;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and one row at a time) and a PEFT LoRA adapter's logits equal those Ling's
 * published remote code computed for tiny checkpoints (tools/make-remote-moe-fixtures.py): V1 with biases on the fused
 * q/k/v and on dense, a softmax router and a shared expert; V2 with per-head q/k norms, half-head rotary, a sigmoid
 * router with expert_bias and groups, and routed_scaling_factor.
 */
class BailingMoeReferenceTest {

    private static final String TINY = "{\"model_type\": \"bailing_moe\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 4,"
            + " \"moe_intermediate_size\": 4";
    private static final String V2 = ", \"architectures\": [\"BailingMoeV2ForCausalLM\"]";

    @TempDir
    Path dir;

    @Test
    void v1MatchesTheRemoteCode() throws Exception {
        HfReference.check(getClass(), "ling", new BailingMoeArchitecture());
    }

    @Test
    void v2MatchesTheRemoteCode() throws Exception {
        HfReference.check(getClass(), "bailing-moe-v2", new BailingMoeArchitecture());
    }

    @Test
    void gradientsFlowThroughTheRoutersTheSharedExpertsAndTheQkNorms() throws Exception {
        Path v1 = HfReference.fixture(getClass(), "ling");
        GradientCheck.check(v1, new BailingMoeArchitecture(), "model.layers.1.mlp.gate.weight", 1e-2f);
        GradientCheck.check(v1, new BailingMoeArchitecture(), "model.layers.1.attention.dense.bias", 1e-2f);
        Path v2 = HfReference.fixture(getClass(), "bailing-moe-v2");
        GradientCheck.check(
                v2, new BailingMoeArchitecture(), "model.layers.1.mlp.shared_experts.up_proj.weight", 1e-2f);
        GradientCheck.check(v2, new BailingMoeArchitecture(), "model.layers.1.attention.query_layernorm.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("num_experts_per_tok", TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 5}");
        assertNamed("num_shared_experts", TINY + ", \"num_experts\": 4, \"num_shared_experts\": -1}");
        assertNamed("norm_head", TINY + ", \"num_experts\": 4, \"norm_head\": true}");
        assertNamed(
                "rope_scaling",
                TINY + ", \"num_experts\": 4, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}}");
        assertNamed("architectures", TINY + ", \"num_experts\": 4, \"architectures\": [\"BailingMoeV3ForCausalLM\"]}");
        assertNamed("n_group", TINY + V2 + ", \"num_experts\": 4, \"num_experts_per_tok\": 2, \"n_group\": 3}");
        assertNamed(
                "score_function",
                TINY + V2 + ", \"num_experts\": 4, \"num_experts_per_tok\": 2, \"n_group\": 2,"
                        + " \"topk_group\": 1, \"score_function\": \"softmax\"}");
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, BailingMoeArchitecture.BailingConfig::from);
    }
}
