package dev.osprey.models.qwen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.nn.Rope;

/** Config reading and checkpoint key names, checked against the shapes of real Qwen checkpoints (scaled down). */
class QwenArchitecturesTest {

    /** Qwen2.5-0.5B-Instruct's config.json with the sizes shrunk. */
    static Map<String, Object> qwen2Config() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", java.util.List.of("Qwen2ForCausalLM"));
        c.put("model_type", "qwen2");
        c.put("vocab_size", 96);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("max_position_embeddings", 512);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("sliding_window", 512);
        c.put("use_sliding_window", false);
        c.put("tie_word_embeddings", true);
        c.put("hidden_act", "silu");
        c.put("torch_dtype", "bfloat16");
        return c;
    }

    @Test
    void qwen2HasQkvBiasesAndTiedEmbeddings() {
        HfConfig config = HfConfig.of(qwen2Config(), Path.of("config.json"));
        Qwen2Architecture.Qwen2Config qwen2 = Qwen2Architecture.Qwen2Config.from(config);
        assertEquals(0, qwen2.layout().slidingWindow(), "use_sliding_window is false");
        assertEquals(8, qwen2.common().headDim());
        assertEquals(1000000.0, ((Rope) qwen2.common().rope()).theta());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen2Architecture().build(config, m)) {
            Map<String, ?> params = model.parameters();
            assertTrue(params.containsKey("model.layers.1.self_attn.q_proj.bias"));
            assertFalse(params.containsKey("model.layers.1.self_attn.o_proj.bias"));
            assertFalse(params.containsKey("lm_head.weight"), "tied to model.embed_tokens.weight");
            assertEquals(2 + 2 * 12, params.size(), "embed, final norm, and per layer 2 norms, 7 weights, 3 biases");
            assertEquals(
                    new Shape(1, 3, 96),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3}, new Shape(1, 3)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }

    @Test
    void qwen3NormsEachHeadOfQueriesAndKeys() {
        Map<String, Object> c = qwen2Config();
        c.put("model_type", "qwen3");
        c.put("architectures", java.util.List.of("Qwen3ForCausalLM"));
        c.put("head_dim", 16); // Qwen3 sets head_dim explicitly, independent of hidden / heads
        c.put("attention_bias", false);
        c.put("rope_scaling", null);
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        Qwen3Architecture.Qwen3Config qwen3 = Qwen3Architecture.Qwen3Config.from(config);
        assertFalse(qwen3.attentionBias());
        assertEquals(16, qwen3.common().headDim());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen3Architecture().build(config, m)) {
            assertEquals(
                    new Shape(16),
                    model.parameters()
                            .get("model.layers.0.self_attn.q_norm.weight")
                            .getShape());
            assertEquals(
                    new Shape(64, 32),
                    model.parameters()
                            .get("model.layers.0.self_attn.q_proj.weight")
                            .getShape()); // 4 heads × 16
            assertEquals(
                    new Shape(32, 64),
                    model.parameters()
                            .get("model.layers.0.self_attn.o_proj.weight")
                            .getShape());
            assertEquals(
                    new Shape(1, 2, 96),
                    model.forward(ForwardRequest.builder(m.create(new long[] {5, 6}, new Shape(1, 2)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }

    @Test
    void aMissingFieldIsNamed() {
        Map<String, Object> c = qwen2Config();
        c.remove("num_hidden_layers");
        HfConfig config = HfConfig.of(c, Path.of("/models/q/config.json"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Qwen2Architecture.Qwen2Config.from(config));
        assertTrue(
                e.getMessage().contains("num_hidden_layers") && e.getMessage().contains("/models/q/config.json"),
                e.getMessage());
    }

    @Test
    void qwen3MoeKeepsTheLayersOfMlpOnlyLayersDense() {
        Map<String, Object> c = qwen2Config();
        c.put("model_type", "qwen3_moe");
        c.put("head_dim", 8);
        c.put("num_experts", 4);
        c.put("num_experts_per_tok", 2);
        c.put("moe_intermediate_size", 16);
        c.put("norm_topk_prob", true);
        c.put("mlp_only_layers", java.util.List.of(0));
        c.put("decoder_sparse_step", 1);
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        assertEquals(
                java.util.Set.of(0),
                Qwen3MoeArchitecture.Qwen3MoeConfig.from(config).moe().denseLayers());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen3MoeArchitecture().build(config, m)) {
            assertTrue(model.parameters().containsKey("model.layers.0.mlp.gate_proj.weight"), "layer 0 is dense");
            assertEquals(
                    new Shape(4, 32),
                    model.parameters().get("model.layers.1.mlp.gate.weight").getShape());
            assertEquals(
                    new Shape(16, 32),
                    model.parameters()
                            .get("model.layers.1.mlp.experts.2.up_proj.weight")
                            .getShape());
            assertEquals(
                    new Shape(1, 4, 96),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3, 4}, new Shape(1, 4)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }

    /** Qwen3-Next-80B-A3B's config.json shrunk: no layer_types, only the interval; partial rotary left to default. */
    @Test
    void qwen3NextPlacesFullAttentionEveryIntervalAndNamesBadLayerTypes() {
        Map<String, Object> c = qwen2Config();
        c.put("model_type", "qwen3_next");
        c.put("num_hidden_layers", 4);
        c.put("head_dim", 16);
        c.put("full_attention_interval", 2);
        c.put("linear_num_key_heads", 2);
        c.put("linear_num_value_heads", 4);
        c.put("linear_key_head_dim", 8);
        c.put("linear_value_head_dim", 8);
        c.put("num_experts", 4);
        c.put("num_experts_per_tok", 2);
        c.put("moe_intermediate_size", 16);
        c.put("shared_expert_intermediate_size", 16);
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        Qwen3NextArchitecture.Qwen3NextConfig read = Qwen3NextArchitecture.Qwen3NextConfig.from(config);
        assertArrayEquals(new boolean[] {false, true, false, true}, read.fullAttention());
        assertEquals(2, read.rope().inverseFrequencies(0).length, "rotary over a quarter of each 16-feature head");
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Qwen3NextArchitecture().build(config, m)) {
            assertEquals(
                    new Shape(64, 1, 4),
                    model.parameters()
                            .get("model.layers.0.linear_attn.conv1d.weight")
                            .getShape());
            assertEquals(
                    new Shape(128, 32),
                    model.parameters()
                            .get("model.layers.1.self_attn.q_proj.weight")
                            .getShape(),
                    "queries and their output gate");
            assertEquals(
                    new Shape(1, 3, 96),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3}, new Shape(1, 3)))
                                    .build())
                            .logits()
                            .getShape());
        }
        c.put(
                "layer_types",
                java.util.List.of("linear_attention", "full_attention", "sliding_attention", "full_attention"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Qwen3NextArchitecture.Qwen3NextConfig.from(HfConfig.of(c, Path.of("config.json"))));
        assertTrue(
                e.getMessage().contains("layer_types") && e.getMessage().contains("sliding_attention"), e.getMessage());
    }
}
