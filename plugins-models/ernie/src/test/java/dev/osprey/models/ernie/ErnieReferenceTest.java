package dev.osprey.models.ernie;

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
 * those Hugging Face transformers computed for tiny ERNIE 4.5 checkpoints (written by
 * tools/make-reference-fixtures.py): the MoE with a dense first layer, then four experts routed by a softmax whose
 * correction bias only chooses and one shared expert; the dense model with biases on every linear.
 */
class ErnieReferenceTest {

    private static final String TINY = "{\"model_type\": \"ernie4_5_moe\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 4, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void moeMatchesTransformers() throws Exception {
        HfReference.check(getClass(), "ernie4_5-moe", new Ernie45MoeArchitecture());
    }

    @Test
    void denseMatchesTransformers() throws Exception {
        HfReference.check(getClass(), "ernie4_5", new Ernie45Architecture());
    }

    @Test
    void gradientsFlowThroughTheRouterTheSharedExpertAndTheInterleavedRope() throws Exception {
        Path folder = HfReference.fixture(getClass(), "ernie4_5-moe");
        // the router reaches the loss through the chosen experts' renormalised probabilities
        GradientCheck.check(folder, new Ernie45MoeArchitecture(), "model.layers.1.mlp.gate.weight", 1e-3f);
        GradientCheck.check(
                folder, new Ernie45MoeArchitecture(), "model.layers.1.mlp.shared_experts.up_proj.weight", 1e-2f);
        // k reaches the loss only through the rotary embedding
        Path dense = HfReference.fixture(getClass(), "ernie4_5");
        GradientCheck.check(dense, new Ernie45Architecture(), "model.layers.0.self_attn.k_proj.bias", 1e-2f);
    }

    @Test
    void readsErniesDefaults() throws Exception {
        Ernie45MoeArchitecture.ErnieMoeConfig c = config(TINY + "}");
        assertEquals(64, c.moe().experts().routed().count());
        assertEquals(6, c.moe().experts().rule().topK());
        assertEquals(2, c.moe().experts().shared().count());
        assertEquals(1e-5, c.base().common().rmsEps());
        assertTrue(c.base().common().tieWordEmbeddings());
        assertEquals(4, c.base().common().headDim()); // hidden / heads: the MoE config has no head_dim
        // layer 0 dense, then every layer to the last (moe_layer_end_index -1)
        assertFalse(c.moe().sparse(0));
        assertTrue(c.moe().sparse(1));
        assertTrue(c.moe().sparse(3));
        Ernie45MoeArchitecture.ErnieMoeConfig every2 =
                config(TINY + ", \"moe_layer_interval\": 2, \"moe_layer_start_index\": 0, \"moe_layer_end_index\": 2}");
        assertTrue(every2.moe().sparse(1));
        assertFalse(every2.moe().sparse(2));
        assertFalse(every2.moe().sparse(3));
        Path file = dir.resolve("dense.json");
        Files.writeString(file, TINY.replace("ernie4_5_moe", "ernie4_5") + "}");
        assertEquals(
                128,
                ErnieConfig.from(HfConfig.read(file), Ernie45Architecture.DEFAULT_HEAD_DIM)
                        .common()
                        .headDim());
    }

    @Test
    void theDenseModelRunsUnderTransformersAndMsSwiftsArchitectureNames() {
        assertTrue(new Ernie45Architecture().architectures().contains("Ernie4_5ForCausalLM"));
        assertTrue(new Ernie45Architecture().architectures().contains("Ernie4_5_ForCausalLM"));
        assertTrue(new Ernie45MoeArchitecture().architectures().contains("Ernie4_5_MoeForCausalLM"));
    }

    @Test
    void namesTheFieldsAtFault() {
        IllegalArgumentException k = assertThrows(
                IllegalArgumentException.class, () -> config(TINY + ", \"moe_num_experts\": 4, \"moe_k\": 5}"));
        assertTrue(k.getMessage().contains("moe_k"), k.getMessage());
        IllegalArgumentException interval =
                assertThrows(IllegalArgumentException.class, () -> config(TINY + ", \"moe_layer_interval\": 0}"));
        assertTrue(interval.getMessage().contains("moe_layer_interval"), interval.getMessage());
        IllegalArgumentException bias =
                assertThrows(IllegalArgumentException.class, () -> config(TINY + ", \"use_bias\": true}"));
        assertTrue(bias.getMessage().contains("use_bias"), bias.getMessage());
    }

    private Ernie45MoeArchitecture.ErnieMoeConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return Ernie45MoeArchitecture.ErnieMoeConfig.from(HfConfig.read(file));
    }
}
