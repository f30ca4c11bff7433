package dev.osprey.models.qwen1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * Logits, loss, greedy tokens (batched and cached) and a PEFT LoRA adapter's logits (attached and merged) equal
 * those transformers computed for tiny Qwen-1 checkpoints (tools/make-qwen1-fixtures.py: Qwen-1's keys and
 * config, the reference from Qwen2ForCausalLM, or LlamaForCausalLM with every bias for {@code no_bias} false,
 * on the same weights rearranged).
 */
class Qwen1ReferenceTest {

    private static final String TINY = "{\"model_type\": \"qwen\", \"vocab_size\": 16, \"hidden_size\": 8,"
            + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2";

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "qwen1", new Qwen1Architecture());
    }

    @Test
    void matchesTransformersWithEveryBias() throws Exception {
        HfReference.check(getClass(), "qwen1-bias", new Qwen1Architecture());
    }

    @Test
    void gradientsFlowThroughTheFusedQkvAndTheSwiGlu() throws Exception {
        Path folder = HfReference.fixture(getClass(), "qwen1");
        // c_attn's bias holds q, k and v: k reaches the loss only through the rotary embedding
        GradientCheck.check(folder, new Qwen1Architecture(), "transformer.h.0.attn.c_attn.bias", 1e-2f);
        GradientCheck.check(folder, new Qwen1Architecture(), "transformer.h.1.mlp.w2.weight", 1e-2f);
        GradientCheck.check(folder, new Qwen1Architecture(), "transformer.h.0.mlp.w1.weight", 1e-2f);
    }

    @Test
    void readsQwen1sFields() throws Exception {
        Qwen1Architecture.Qwen1Config c = config(TINY + ", \"intermediate_size\": 44, \"kv_channels\": 8,"
                + " \"rotary_pct\": 0.5, \"rotary_emb_base\": 100.0, \"seq_length\": 32, \"no_bias\": false}");
        assertEquals(22, c.mlpWidth());
        assertEquals(8, c.headDim());
        assertEquals(32, c.maxPositions());
        assertTrue(c.bias());
        // 8 · 0.5 = 4 rotated features: frequencies base^(-2i/4)
        float[] inv = c.rope().inverseFrequencies(8);
        assertEquals(2, inv.length);
        assertEquals(1 / 10.0, inv[1], 1e-6);
        Qwen1Architecture.Qwen1Config released = config(TINY + ", \"intermediate_size\": 16}");
        assertEquals(false, released.bias()); // no_bias defaults to true, as every released Qwen-1 has it
        assertEquals(4, released.headDim());
    }

    @Test
    void swappedW1AndW2DoNotMatch() throws Exception {
        Path copy = dir.resolve("swapped");
        Path folder = HfReference.fixture(getClass(), "qwen1");
        Files.createDirectories(copy.resolve("adapter"));
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, copy.resolve(folder.relativize(f).toString()));
            }
        }
        // the header names the tensors: "mlp.w1" and "mlp.w2" swap in place (same length, same offsets)
        Path weights = copy.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        int headerEnd = 8
                + (int) ByteBuffer.wrap(bytes, 0, 8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong();
        String header = new String(bytes, 8, headerEnd - 8, StandardCharsets.UTF_8);
        String swapped = header.replace("mlp.w1.", "mlp.wX.")
                .replace("mlp.w2.", "mlp.w1.")
                .replace("mlp.wX.", "mlp.w2.");
        assertNotEquals(header, swapped);
        System.arraycopy(swapped.getBytes(StandardCharsets.UTF_8), 0, bytes, 8, headerEnd - 8);
        Files.write(weights, bytes);
        AssertionFailedError e =
                assertThrows(AssertionFailedError.class, () -> HfReference.check(copy, new Qwen1Architecture()));
        assertTrue(e.getMessage().contains("logits differ"), e.getMessage());
    }

    @Test
    void namesTheFieldsAtFault() {
        IllegalArgumentException odd =
                assertThrows(IllegalArgumentException.class, () -> config(TINY + ", \"intermediate_size\": 15}"));
        assertTrue(odd.getMessage().contains("intermediate_size"), odd.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> config(TINY + "}"));
        assertTrue(none.getMessage().contains("intermediate_size"), none.getMessage());
        IllegalArgumentException pct = assertThrows(
                IllegalArgumentException.class,
                () -> config(TINY + ", \"intermediate_size\": 16, \"rotary_pct\": 1.5}"));
        assertTrue(pct.getMessage().contains("rotary_pct"), pct.getMessage());
        IllegalArgumentException channels = assertThrows(
                IllegalArgumentException.class,
                () -> config(TINY + ", \"intermediate_size\": 16, \"kv_channels\": 0}"));
        assertTrue(channels.getMessage().contains("kv_channels"), channels.getMessage());
    }

    private Qwen1Architecture.Qwen1Config config(String json) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return Qwen1Architecture.Qwen1Config.from(HfConfig.read(file));
    }
}
