package dev.osprey.models.telechat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * those of a tiny TeleChat checkpoint in TeleChat2-115B's layout (tools/make-rearranged-fixtures.py: two key/value
 * heads for four, training_seqlen 64 over base_seqlen 16, so ntk_alpha 7; the reference from transformers'
 * LlamaForCausalLM on the same weights, which TeleChat's own modeling_telechat.py reproduces to its float16
 * rotary tables).
 */
class TeleChatReferenceTest {

    private static final String TINY = "{\"model_type\": \"telechat\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"n_layer\": 1, \"n_head\": 2, \"ffn_hidden_size\": 16";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "telechat", new TeleChatArchitecture());
    }

    @Test
    void gradientsFlowThroughThePackedKeyValue() throws Exception {
        Path folder = HfReference.fixture(getClass(), "telechat");
        GradientCheck.check(
                folder, new TeleChatArchitecture(), "transformer.h.0.self_attention.key_value.weight", 1e-2f);
        GradientCheck.check(folder, new TeleChatArchitecture(), "transformer.h.1.mlp.down_proj.bias", 1e-2f);
    }

    @Test
    void theRotaryBaseGrowsAsTeleChatsCodeGrowsIt() throws Exception {
        // TeleChat-12B: training_seqlen 8192 over its code's 8192: ntk_alpha 1, the plain base
        assertEquals(10000.0, TeleChatConfig.ntkBase(8192, 8192, 128), 1e-9);
        // TeleChat-7B's code divides by 4096: ntk_alpha 3
        assertEquals(10000.0 * Math.pow(3, 128 / 126.0), TeleChatConfig.ntkBase(8192, 4096, 128), 1e-6);
        // training_seqlen 64 over base_seqlen 16, as the fixture: 2^3 - 1 = 7
        float[] inv = config(TINY + ", \"training_seqlen\": 64, \"base_seqlen\": 16}")
                .rope()
                .inverseFrequencies(8);
        assertEquals(1 / Math.pow(10000.0 * Math.pow(7, 4 / 2.0), 2 / 4.0), inv[1], 1e-9);
        // TeleChat-7B's config (no base_seqlen, vocabulary 160256) gets its code's 4096: ntk_alpha 3
        float[] seven = config(
                        TINY.replace("\"vocab_size\": 16", "\"vocab_size\": 160256") + ", \"training_seqlen\": 8192}")
                .rope()
                .inverseFrequencies(8);
        assertEquals(1 / Math.pow(10000.0 * Math.pow(3, 4 / 2.0), 2 / 4.0), seven[1], 1e-9);
        // a transformers-style config (TeleChat2) says its base itself
        float[] theta = config(TINY + ", \"rope_theta\": 100.0}").rope().inverseFrequencies(8);
        assertEquals(0.1, theta[1], 1e-7);
    }

    @Test
    void readsBothSpellingsAndTheDefaults() throws Exception {
        TeleChatConfig c = config(TINY + "}");
        assertEquals(2, c.kvHeads());
        assertEquals(4, c.headDim());
        assertTrue(c.tieWordEmbeddings()); // TeleChat's config class: PretrainedConfig's default
        TeleChatConfig two = config("{\"model_type\": \"telechat2\", \"vocab_size\": 16, \"hidden_size\": 8,"
                + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"num_key_value_heads\": 1,"
                + " \"intermediate_size\": 16, \"tie_word_embeddings\": false}");
        assertEquals(1, two.kvHeads());
        assertFalse(two.tieWordEmbeddings());
    }

    @Test
    void namesTheFieldsAtFault() {
        for (String[] bad : new String[][] {
            {", \"apply_residual_connection_post_layernorm\": true}", "apply_residual_connection_post_layernorm"},
            {", \"embed_layernorm\": true}", "embed_layernorm"},
            {", \"num_key_value_heads\": 3}", "num_key_value_heads"},
            {", \"training_seqlen\": 0}", "training_seqlen"}
        }) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> config(TINY + bad[0]), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> config(TINY.replace(", \"ffn_hidden_size\": 16", "") + "}"));
        assertTrue(none.getMessage().contains("ffn_hidden_size"), none.getMessage());
    }

    private TeleChatConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return TeleChatConfig.from(HfConfig.read(file), !json.contains("telechat2"));
    }
}
