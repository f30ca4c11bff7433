package dev.osprey.models.baichuan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits (attached and merged) equal
 * those of Baichuan's own code: baichuan2-13b is Baichuan2-13B-Chat's modeling_baichuan.py run on a tiny config
 * (ALiBi over six heads, W_pack, NormHead; tools/make-remote-code-fixtures.py), baichuan-7b is transformers'
 * LlamaForCausalLM on Baichuan-7B's W_pack layout (tools/make-rearranged-fixtures.py).
 */
class BaichuanReferenceTest {

    private static final String TINY = "{\"model_type\": \"baichuan\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    /** The fixture is Baichuan 2's code with a tiny vocabulary, which alone says NormHead here. */
    static final class TinyBaichuan2 extends BaichuanArchitecture {
        @Override
        public boolean normalizedHead(ModelConfig config) {
            return true;
        }
    }

    @Test
    void matchesBaichuan2sOwnCode() throws Exception {
        HfReference.check(getClass(), "baichuan2-13b", new TinyBaichuan2());
    }

    @Test
    void withoutItsNormHeadBaichuan2DoesNotMatch() {
        AssertionFailedError e = assertThrows(
                AssertionFailedError.class,
                () -> HfReference.check(getClass(), "baichuan2-13b", new BaichuanArchitecture()));
        assertTrue(e.getMessage().contains("differ"), e.getMessage());
    }

    @Test
    void matchesBaichuan7b() throws Exception {
        HfReference.check(getClass(), "baichuan-7b", new BaichuanArchitecture());
    }

    @Test
    void gradientsFlowThroughTheNormHeadAndThePackedProjection() throws Exception {
        Path folder = HfReference.fixture(getClass(), "baichuan2-13b");
        GradientCheck.check(folder, new TinyBaichuan2(), "lm_head.weight", 1e-2f);
        GradientCheck.check(folder, new TinyBaichuan2(), "model.layers.0.self_attn.W_pack.weight", 1e-2f);
    }

    @Test
    void alibiSlopesAreBaichuans() {
        // a power of two: 2^(-8/n·(h+1))
        assertArrayEquals(
                new float[] {0.5f, 0.25f, 0.125f, 0.0625f, 0.03125f, 0.015625f, 0.0078125f, 0.00390625f},
                Alibi.slopes(8),
                1e-9f);
        // six heads: the four of 4 (2^-2, 2^-4, 2^-6, 2^-8), then slopes 0 and 2 of 8 (2^-1, 2^-3)
        assertArrayEquals(new float[] {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f}, Alibi.slopes(6), 1e-9f);
    }

    @Test
    void tellsTheVariantsApartAsVllmDoes() throws Exception {
        assertFalse(
                config(TINY + ", \"architectures\": [\"BaiChuanForCausalLM\"]}").alibi()); // Baichuan-7B
        assertTrue(
                config(TINY + ", \"architectures\": [\"BaichuanForCausalLM\"]}").alibi()); // a 13B
        assertFalse(config(TINY.replace("\"hidden_size\": 8", "\"hidden_size\": 4096")
                        + ", \"architectures\": [\"BaichuanForCausalLM\"]}")
                .alibi()); // Baichuan2-7B
        Path file = dir.resolve("config.json");
        Files.writeString(file, TINY.replace("\"vocab_size\": 16", "\"vocab_size\": 125696") + "}");
        assertTrue(new BaichuanArchitecture().normalizedHead(HfConfig.read(file)));
        Files.writeString(file, TINY + "}");
        assertFalse(new BaichuanArchitecture().normalizedHead(HfConfig.read(file)));
        assertEquals(4096, config(TINY + "}").maxPositions());
    }

    @Test
    void namesTheFieldsAtFault() {
        IllegalArgumentException heads = assertThrows(
                IllegalArgumentException.class,
                () -> config(TINY.replace("\"hidden_size\": 8", "\"hidden_size\": 9") + "}"));
        assertTrue(heads.getMessage().contains("num_attention_heads"), heads.getMessage());
        IllegalArgumentException none = assertThrows(
                IllegalArgumentException.class, () -> config(TINY.replace(", \"intermediate_size\": 16", "") + "}"));
        assertTrue(none.getMessage().contains("intermediate_size"), none.getMessage());
    }

    private BaichuanArchitecture.BaichuanConfig config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return BaichuanArchitecture.BaichuanConfig.from(HfConfig.read(file));
    }
}
