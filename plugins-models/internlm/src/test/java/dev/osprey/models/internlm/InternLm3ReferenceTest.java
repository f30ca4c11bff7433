package dev.osprey.models.internlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * InternLM3 and InternLM (v1) against transformers' Llama on the same weights
 * (tools/make-internlm2-fixtures.py): logits, loss, greedy tokens (batched and cached) and a PEFT LoRA
 * adapter. InternLM3's fixture has q/k/v biases without an o bias and head_dim 16 beside hidden 32;
 * InternLM's has biases on q, k, v and o and its rotary embedding in the {@code rotary} field.
 */
class InternLm3ReferenceTest {

    private static final String TINY = "{\"vocab_size\": 16, \"hidden_size\": 8, \"intermediate_size\": 16,"
            + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"max_position_embeddings\": 16";

    @TempDir
    Path dir;

    @Test
    void internLm3MatchesTransformers() throws Exception {
        HfReference.check(getClass(), "internlm3", new InternLm3Architecture());
    }

    @Test
    void internLmMatchesTransformers() throws Exception {
        HfReference.check(getClass(), "internlm", new InternLmArchitecture());
    }

    @Test
    void internLmWithoutItsDynamicRotaryFailsTheReference() throws Exception {
        // the fixture's 12 tokens pass max_position_embeddings (8): an unscaled base must not pass
        Path from = HfReference.fixture(getClass(), "internlm");
        Path copy = dir.resolve("internlm-origin");
        Files.createDirectories(copy.resolve("adapter"));
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Files.copy(p, copy.resolve(from.relativize(p).toString()));
            }
        }
        Path config = copy.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"dynamic\"", "\"origin\""));
        AssertionError wrong =
                assertThrows(AssertionError.class, () -> HfReference.check(copy, new InternLmArchitecture()));
        assertTrue(wrong.getMessage().contains("logit"), wrong.getMessage());
    }

    @Test
    void gradientsReachTheBiases() throws Exception {
        GradientCheck.check(
                HfReference.fixture(getClass(), "internlm3"),
                new InternLm3Architecture(),
                "model.layers.0.self_attn.k_proj.bias",
                1e-2f);
        GradientCheck.check(
                HfReference.fixture(getClass(), "internlm"),
                new InternLmArchitecture(),
                "model.layers.0.self_attn.o_proj.bias",
                1e-2f);
    }

    @Test
    void internLm3BiasesFollowQkvBiasAndBias() throws Exception {
        InternLm3Architecture.InternLm3Config c =
                InternLm3Architecture.InternLm3Config.from(HfConfig.read(write(TINY + ", \"qkv_bias\": true}")));
        assertTrue(c.qkvBias());
        assertFalse(c.bias());
    }

    @Test
    void internLmRotaryIsReadFromItsOwnField() throws Exception {
        // origin: the plain base; dynamic: the base grows past max_position_embeddings (16)
        float[] origin = rotary(TINY + ", \"rotary\": {\"base\": 100.0, \"type\": \"origin\"}}")
                .inverseFrequencies(32);
        assertEquals(1 / 10.0, origin[1], 1e-6);
        RotaryEmbedding dynamic =
                rotary(TINY + ", \"rotary\": {\"base\": 100.0, \"type\": \"dynamic\", \"scaling_factor\": 2.0}}");
        assertTrue(dynamic.dependsOnLength());
        assertEquals(1 / 10.0, dynamic.inverseFrequencies(16)[1], 1e-6);
        // 32 positions: base 100·(2·32/16 − 1)^(4/2) = 900, so the second frequency is 1/30
        assertEquals(1 / 30.0, dynamic.inverseFrequencies(32)[1], 1e-6);
    }

    @Test
    void aWrongRotaryTypeIsNamed() throws Exception {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> rotary(TINY + ", \"rotary\": {\"base\": 100.0, \"type\": \"yarn\"}}"));
        assertTrue(e.getMessage().contains("rotary.type"), e.getMessage());
    }

    @Test
    void aMissingFieldIsNamed() throws Exception {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new InternLm3Architecture()
                        .layout(HfConfig.read(write(TINY.replace("\"vocab_size\": 16,", "") + "}"))));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    }

    private RotaryEmbedding rotary(String json) throws IOException {
        return InternLmRotary.from(HfConfig.read(write(json)), 4);
    }

    private Path write(String json) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, json);
        return file;
    }
}
