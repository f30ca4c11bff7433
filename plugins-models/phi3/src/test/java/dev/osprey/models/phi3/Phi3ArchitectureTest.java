package dev.osprey.models.phi3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.nn.Rope;

class Phi3ArchitectureTest {

    /** Phi-3-mini-128k-instruct's config.json, sizes shrunk, its longrope scaling kept in shape. */
    static Map<String, Object> phi3Mini128k() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("Phi3ForCausalLM"));
        c.put("model_type", "phi3");
        c.put("vocab_size", 64);
        c.put("hidden_size", 32);
        c.put("intermediate_size", 48);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 4);
        c.put("max_position_embeddings", 131072);
        c.put("original_max_position_embeddings", 4096);
        c.put("sliding_window", 262144);
        List<Double> shortF = new ArrayList<>();
        List<Double> longF = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            shortF.add(1.0 + i * 0.01);
            longF.add(1.0 + i * 10);
        }
        c.put("rope_scaling", Map.of("type", "su", "short_factor", shortF, "long_factor", longF));
        c.put("tie_word_embeddings", false);
        return c;
    }

    @Test
    void phi3FusesItsProjectionsAndReadsLongrope() {
        HfConfig config = HfConfig.of(phi3Mini128k(), Path.of("config.json"));
        Rope rope = (Rope) Phi3Architecture.Phi3Config.from(config).common().rope();
        assertEquals("longrope", rope.type());
        assertEquals(32.0, rope.factor());
        assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), rope.attentionFactor(), 1e-12);
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Phi3Architecture().build(config, m)) {
            assertEquals(
                    new Shape(96, 32),
                    model.parameters()
                            .get("model.layers.0.self_attn.qkv_proj.weight")
                            .getShape());
            assertEquals(
                    new Shape(96, 32),
                    model.parameters()
                            .get("model.layers.0.mlp.gate_up_proj.weight")
                            .getShape());
            assertFalse(model.parameters().containsKey("model.layers.0.self_attn.q_proj.weight"));
            // fused projections keep the decoder's invariants: cached decoding equals a full pass
            long[] ids = {3, 9, 27, 17, 51};
            float[] full = model.forward(ForwardRequest.builder(m.create(ids, new Shape(1, 5)))
                            .build())
                    .logits()
                    .toFloatArray();
            try (KvCache cache = model.newCache(1)) {
                model.forward(ForwardRequest.builder(m.create(new long[] {3, 9, 27, 17}, new Shape(1, 4)))
                        .optCache(cache)
                        .build());
                float[] last = model.forward(ForwardRequest.builder(m.create(new long[] {51}, new Shape(1, 1)))
                                .optCache(cache)
                                .build())
                        .logits()
                        .toFloatArray();
                org.junit.jupiter.api.Assertions.assertArrayEquals(
                        java.util.Arrays.copyOfRange(full, 4 * 64, 5 * 64), last, 2e-4f);
            }
        }
    }

    @Test
    void partialRotaryRotatesOnlyPartOfEachHead() {
        Map<String, Object> c = phi3Mini128k();
        c.remove("rope_scaling");
        c.put("partial_rotary_factor", 0.75); // Phi-4-mini
        c.put("head_dim", 8);
        assertEquals(
                6,
                ((Rope) Phi3Architecture.Phi3Config.from(HfConfig.of(c, Path.of("config.json")))
                                .common()
                                .rope())
                        .dim());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new Phi3Architecture().build(HfConfig.of(c, Path.of("config.json")), m)) {
            assertEquals(
                    new Shape(1, 3, 64),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2, 3}, new Shape(1, 3)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }
}
