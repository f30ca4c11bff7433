package dev.osprey.models.gemma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

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

class GemmaArchitectureTest {

    @Test
    void gemmaScalesEmbeddingsOffsetsNormsAndTiesTheHead() {
        Map<String, Object> c = new HashMap<>();
        c.put("architectures", List.of("GemmaForCausalLM"));
        c.put("model_type", "gemma");
        c.put("vocab_size", 64);
        c.put("hidden_size", 16);
        c.put("intermediate_size", 48);
        c.put("num_hidden_layers", 1);
        c.put("num_attention_heads", 2);
        c.put("num_key_value_heads", 1);
        c.put("head_dim", 8);
        c.put("hidden_act", "gelu");
        c.put("hidden_activation", "gelu_pytorch_tanh");
        HfConfig config = HfConfig.of(c, Path.of("config.json"));
        GemmaArchitecture.GemmaConfig gemma = GemmaArchitecture.GemmaConfig.from(config);
        assertEquals(4.0, gemma.layout().embeddingScale(), 1e-12);
        assertEquals("gelu_pytorch_tanh", gemma.common().activation());
        try (NDManager m = NDManager.newBaseManager();
                LanguageModel model = new GemmaArchitecture().build(config, m)) {
            assertFalse(model.parameters().containsKey("lm_head.weight"));
            // Gemma stores norm weights as w - 1: a fresh model's are zeros
            assertEquals(0f, model.parameters().get("model.norm.weight").sum().getFloat(), 0f);
            assertEquals(
                    new Shape(1, 2, 64),
                    model.forward(ForwardRequest.builder(m.create(new long[] {1, 2}, new Shape(1, 2)))
                                    .build())
                            .logits()
                            .getShape());
        }
    }
}
