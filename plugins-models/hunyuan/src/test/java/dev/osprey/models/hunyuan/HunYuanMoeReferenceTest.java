package dev.osprey.models.hunyuan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.ConfigErrors;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits equal those Hugging Face
 * transformers computed for a tiny HunYuan MoE checkpoint (tools/make-reference-fixtures.py: q/k norms after NTK-alpha
 * RoPE, 4 experts of which a float32 softmax router keeps 2, renormalised, beside a shared MLP).
 */
class HunYuanMoeReferenceTest {

    private static final String TINY = "{\"model_type\": \"hunyuan_v1_moe\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"head_dim\": 4";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "hunyuan-moe", new HunYuanMoeArchitecture());
    }

    @Test
    void gradientsFlowThroughTheRouterAndTheSharedMlp() throws Exception {
        Path folder = HfReference.fixture(getClass(), "hunyuan-moe");
        GradientCheck.check(folder, new HunYuanMoeArchitecture(), "model.layers.1.mlp.gate.wg.weight", 1e-2f);
        GradientCheck.check(
                folder, new HunYuanMoeArchitecture(), "model.layers.1.mlp.shared_mlp.up_proj.weight", 1e-2f);
    }

    @Test
    void readsPerLayerCountsThatAgree() throws Exception {
        HunYuanMoeArchitecture.HunYuanMoeConfig c = config(TINY + ", \"num_experts\": 4, \"moe_topk\": [2, 2]}");
        assertEquals(2, c.experts().rule().topK());
        assertNamed("moe_topk", TINY + ", \"num_experts\": 4, \"moe_topk\": [2, 1]}");
        assertNamed("moe_topk", TINY + ", \"num_experts\": 4, \"moe_topk\": 5}");
        assertNamed("num_experts", TINY + ", \"num_experts\": 0, \"moe_topk\": 1}");
    }

    private HunYuanMoeArchitecture.HunYuanMoeConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return HunYuanMoeArchitecture.HunYuanMoeConfig.from(HfConfig.read(file));
    }

    private void assertNamed(String field, String json) throws Exception {
        ConfigErrors.assertNamed(dir, field, json, HunYuanMoeArchitecture.HunYuanMoeConfig::from);
    }
}
