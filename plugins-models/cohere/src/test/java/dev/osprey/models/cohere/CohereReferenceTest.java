package dev.osprey.models.cohere;

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
 * those Hugging Face transformers computed for tiny Cohere checkpoints (written by
 * tools/make-reference-fixtures.py): one with tied embeddings as Command R ships, one with per-head q/k norms,
 * attention biases, an untied head and a large {@code layer_norm_eps}. Both scale their logits.
 */
class CohereReferenceTest {

    private static final String TINY = "{\"model_type\": \"cohere\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "cohere", new CohereArchitecture());
    }

    @Test
    void matchesTransformersWithPerHeadQkNormsAndBiases() throws Exception {
        HfReference.check(getClass(), "cohere-qknorm", new CohereArchitecture());
    }

    @Test
    void gradientsFlowThroughTheParallelBlocksAndThePerHeadNorms() throws Exception {
        Path folder = HfReference.fixture(getClass(), "cohere");
        // the one input norm feeds both attention and the MLP
        GradientCheck.check(folder, new CohereArchitecture(), "model.layers.0.input_layernorm.weight", 1e-2f);
        GradientCheck.check(folder, new CohereArchitecture(), "model.layers.1.mlp.up_proj.weight", 1e-2f);
        Path qk = HfReference.fixture(getClass(), "cohere-qknorm");
        // k reaches the loss only through its per-head norm and the interleaved rotary embedding
        GradientCheck.check(qk, new CohereArchitecture(), "model.layers.0.self_attn.k_norm.weight", 1e-2f);
        GradientCheck.check(qk, new CohereArchitecture(), "model.norm.weight", 1e-2f);
    }

    @Test
    void readsCoheresDefaults() throws Exception {
        CohereArchitecture.CohereConfig c = config(TINY + ", \"rms_norm_eps\": 1e-6}");
        assertEquals(1e-5, c.eps()); // layer_norm_eps, not the Llama field
        assertEquals(0.0625, c.logitScale());
        assertTrue(c.common().tieWordEmbeddings());
        assertFalse(c.qkNorm());
        assertFalse(c.attentionBias());
    }

    @Test
    void namesTheFieldsAtFault() {
        IllegalArgumentException scale =
                assertThrows(IllegalArgumentException.class, () -> config(TINY + ", \"logit_scale\": 0}"));
        assertTrue(scale.getMessage().contains("logit_scale"), scale.getMessage());
        IllegalArgumentException eps =
                assertThrows(IllegalArgumentException.class, () -> config(TINY + ", \"layer_norm_eps\": -1}"));
        assertTrue(eps.getMessage().contains("layer_norm_eps"), eps.getMessage());
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class,
                () -> config("{\"model_type\": \"cohere\", \"vocab_size\": 16, \"num_hidden_layers\": 1,"
                        + " \"num_attention_heads\": 2, \"intermediate_size\": 16}"));
        assertTrue(missing.getMessage().contains("hidden_size"), missing.getMessage());
    }

    @Test
    void theMlpLivesBesideAttention() {
        assertEquals("model.layers.3.mlp", ParallelBlock.besides("model.layers.3.self_attn", "mlp"));
    }

    private CohereArchitecture.CohereConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return CohereArchitecture.CohereConfig.from(HfConfig.read(file));
    }
}
