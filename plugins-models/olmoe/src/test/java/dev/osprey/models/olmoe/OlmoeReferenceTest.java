package dev.osprey.models.olmoe;

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
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for tiny OLMoE checkpoints (written by tools/make-reference-fixtures.py): one as
 * OLMoE-1B-7B routes (top-k without renormalising, no clamp), one with {@code norm_topk_prob} and
 * {@code clip_qkv}.
 */
class OlmoeReferenceTest {

    private static final String TINY = "{\"model_type\": \"olmoe\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 4, \"num_hidden_layers\": 1, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "olmoe", new OlmoeArchitecture());
    }

    @Test
    void matchesTransformersWithClippedQkvAndRenormalisedTopK() throws Exception {
        HfReference.check(getClass(), "olmoe-clip", new OlmoeArchitecture());
    }

    @Test
    void gradientsFlowThroughTheWholeProjectionNormsAndTheRouter() throws Exception {
        Path folder = HfReference.fixture(getClass(), "olmoe");
        GradientCheck.check(folder, new OlmoeArchitecture(), "model.layers.0.self_attn.q_norm.weight", 1e-2f);
        GradientCheck.check(folder, new OlmoeArchitecture(), "model.layers.1.self_attn.k_norm.weight", 1e-2f);
        // the router reaches the loss through the chosen experts' probabilities
        GradientCheck.check(folder, new OlmoeArchitecture(), "model.layers.0.mlp.gate.weight", 1e-3f);
    }

    @Test
    void readsOlmoesDefaults() throws Exception {
        OlmoeArchitecture.OlmoeConfig c = config(TINY + ", \"num_experts\": 64, \"clip_qkv\": null}");
        assertEquals(8, c.moe().topK());
        assertEquals(false, c.moe().normTopkProb());
        assertEquals(0.0, c.clipQkv());
        assertEquals(1e-5, c.common().rmsEps());
        assertEquals(4, c.moe().expertIntermediate());
    }

    @Test
    void namesTheFieldsAtFault() {
        IllegalArgumentException tooMany = assertThrows(
                IllegalArgumentException.class,
                () -> config(TINY + ", \"num_experts\": 4, \"num_experts_per_tok\": 5}"));
        assertTrue(tooMany.getMessage().contains("num_experts_per_tok"), tooMany.getMessage());
        IllegalArgumentException clip = assertThrows(
                IllegalArgumentException.class, () -> config(TINY + ", \"num_experts\": 4, \"clip_qkv\": -1}"));
        assertTrue(clip.getMessage().contains("clip_qkv"), clip.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> config(TINY + "}"));
        assertTrue(none.getMessage().contains("num_experts"), none.getMessage());
    }

    private OlmoeArchitecture.OlmoeConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return OlmoeArchitecture.OlmoeConfig.from(HfConfig.read(file));
    }
}
