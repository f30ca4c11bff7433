package dev.osprey.models.glm;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits (attached and merged) equal
 * those transformers computed for a tiny ChatGLM checkpoint (tools/make-rearranged-fixtures.py: ChatGLM's keys
 * and config, with rope_ratio 2, two key/value groups for four heads, kv_channels wider than hidden / heads and
 * the rotary buffer its checkpoints carry; the reference from GlmForCausalLM, transformers' port of ChatGLM, on
 * the same weights, which ChatGLM3-6B's own modeling_chatglm.py reproduces to 1e-6 on them).
 */
class ChatGlmReferenceTest {

    private static final String TINY = "{\"model_type\": \"chatglm\", \"padded_vocab_size\": 16, \"hidden_size\": 8,"
            + " \"num_layers\": 1, \"num_attention_heads\": 2, \"ffn_hidden_size\": 16";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "chatglm", new ChatGlmArchitecture());
    }

    @Test
    void gradientsFlowThroughTheFusedProjections() throws Exception {
        Path folder = HfReference.fixture(getClass(), "chatglm");
        // query_key_value's bias holds q, k and v: k reaches the loss only through the rotary embedding
        GradientCheck.check(
                folder,
                new ChatGlmArchitecture(),
                "transformer.encoder.layers.0.self_attention.query_key_value.bias",
                1e-2f);
        GradientCheck.check(
                folder, new ChatGlmArchitecture(), "transformer.encoder.layers.1.mlp.dense_h_to_4h.weight", 1e-2f);
    }

    @Test
    void readsChatGlmsFields() throws Exception {
        ChatGlmArchitecture.ChatGlmConfig c = config(TINY + ", \"kv_channels\": 8, \"multi_query_attention\": true,"
                + " \"multi_query_group_num\": 1, \"rope_ratio\": 500, \"add_qkv_bias\": true}");
        assertEquals(1, c.groups());
        assertEquals(8, c.headDim());
        assertTrue(c.qkvBias());
        // half of the 8 features rotate: 2 frequencies of base 10000 · 500
        float[] inv = c.rope().inverseFrequencies(8);
        assertEquals(2, inv.length);
        assertEquals(1 / Math.sqrt(5_000_000.0), inv[1], 1e-9);
        ChatGlmArchitecture.ChatGlmConfig plain = config(TINY + "}");
        assertEquals(2, plain.groups()); // without multi-query attention every head has its own keys
        assertEquals(4, plain.headDim());
        assertEquals(1.0, plain.ropeRatio());
    }

    @Test
    void namesTheFieldsAtFault() {
        for (String[] bad : new String[][] {
            {", \"rmsnorm\": false}", "rmsnorm"},
            {", \"post_layer_norm\": false}", "post_layer_norm"},
            {", \"apply_residual_connection_post_layernorm\": true}", "apply_residual_connection_post_layernorm"},
            {", \"multi_query_attention\": true, \"multi_query_group_num\": 3}", "multi_query_group_num"},
            {", \"rope_ratio\": 0}", "rope_ratio"},
            {", \"kv_channels\": 6}", "kv_channels"}
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> config(TINY + bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> config(TINY.replace(", \"ffn_hidden_size\": 16", "") + "}"));
        assertTrue(none.getMessage().contains("ffn_hidden_size"), none.getMessage());
    }

    private ChatGlmArchitecture.ChatGlmConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return ChatGlmArchitecture.ChatGlmConfig.from(HfConfig.read(file));
    }
}
