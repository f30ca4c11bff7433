package dev.osprey.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.nn.Rope;

/** Config reading and checkpoint key names for Llama and Mistral, on scaled-down real configs. */
class LlamaArchitecturesTest {

    /** Llama-3.2-1B-Instruct's config.json, sizes shrunk, its rope_scaling kept. */
    static Map<String, Object> llama32() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("LlamaForCausalLM"));
        c.put("model_type", "llama");
        c.put("vocab_size", 80);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 64);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 8);
        c.put("max_position_embeddings", 131072);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 500000.0);
        c.put(
                "rope_scaling",
                Map.of(
                        "factor",
                        32.0,
                        "high_freq_factor",
                        4.0,
                        "low_freq_factor",
                        1.0,
                        "original_max_position_embeddings",
                        8192,
                        "rope_type",
                        "llama3"));
        c.put("tie_word_embeddings", true);
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        return c;
    }

    @Test
    void llama32ReadsItsLlama3RopeScalingAndGroupedQueries() {
        HfConfig config = HfConfig.of(llama32(), Path.of("config.json"));
        LlamaArchitecture.LlamaConfig llama = LlamaArchitecture.LlamaConfig.from(config);
        Rope rope = (Rope) llama.common().rope();
        assertEquals("llama3", rope.type());
        assertEquals(32.0, rope.factor());
        assertEquals(8192, rope.originalMaxPositions());
        assertEquals(1, llama.common().kvHeads());
        assertTrue(llama.layout().tieWordEmbeddings());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new LlamaArchitecture().build(config, m)) {
            assertEquals(
                    new Shape(8, 32),
                    model.parameters()
                            .get("model.layers.0.self_attn.k_proj.weight")
                            .getShape());
            assertFalse(model.parameters().containsKey("model.layers.0.self_attn.q_proj.bias"));
            assertEquals(
                    new Shape(2, 4, 80),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 4)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }

    @Test
    void rotaryParametersInTheNewSpellingAreReadToo() {
        Map<String, Object> c = llama32();
        c.remove("rope_theta");
        c.remove("rope_scaling");
        c.put("rope_parameters", Map.of("rope_theta", 10000.0, "rope_type", "linear", "factor", 2.0));
        Rope rope = (Rope) LlamaArchitecture.LlamaConfig.from(HfConfig.of(c, Path.of("config.json")))
                .common()
                .rope();
        assertEquals("linear", rope.type());
        assertEquals(10000.0, rope.theta());
        assertEquals(2.0, rope.factor());
    }

    @Test
    void attentionBiasAddsBiasesToAllFourProjections() {
        Map<String, Object> c = llama32();
        c.put("attention_bias", true);
        c.put("tie_word_embeddings", false);
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new LlamaArchitecture().build(HfConfig.of(c, Path.of("config.json")), m)) {
            for (String p : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                assertTrue(model.parameters().containsKey("model.layers.1.self_attn." + p + ".bias"), p);
            }
            assertTrue(model.parameters().containsKey("lm_head.weight"));
        }
    }

    @Test
    void mistralReadsItsSlidingWindowAndANullOne() {
        Map<String, Object> c = llama32();
        c.put("model_type", "mistral");
        c.put("sliding_window", 4096);
        assertEquals(
                4096,
                MistralArchitecture.MistralConfig.from(HfConfig.of(c, Path.of("config.json")))
                        .layout()
                        .slidingWindow());
        c.put("sliding_window", null);
        assertEquals(
                0,
                MistralArchitecture.MistralConfig.from(HfConfig.of(c, Path.of("config.json")))
                        .layout()
                        .slidingWindow());
    }

    @Test
    void mixtralRoutesTokensToItsExperts() {
        Map<String, Object> c = llama32();
        c.put("model_type", "mixtral");
        c.put("num_local_experts", 4);
        c.put("num_experts_per_tok", 2);
        c.put("sliding_window", null);
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        MixtralArchitecture.MixtralConfig mixtral = MixtralArchitecture.MixtralConfig.from(config);
        assertEquals(4, mixtral.experts());
        assertEquals("block_sparse_moe", mixtral.layout().keys().feedForward());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new MixtralArchitecture().build(config, m)) {
            assertEquals(
                    new Shape(4, 32),
                    model.parameters()
                            .get("model.layers.1.block_sparse_moe.gate.weight")
                            .getShape());
            assertEquals(
                    new Shape(64, 32),
                    model.parameters()
                            .get("model.layers.1.block_sparse_moe.experts.3.w1.weight")
                            .getShape());
            assertEquals(
                    new Shape(32, 64),
                    model.parameters()
                            .get("model.layers.1.block_sparse_moe.experts.3.w2.weight")
                            .getShape());
            assertFalse(model.parameters().containsKey("model.layers.0.mlp.gate_proj.weight"));
            assertEquals(
                    new Shape(2, 3, 80),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }
}
