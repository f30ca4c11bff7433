package dev.osprey.models.deepseek;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

/**
 * DeepSeek-V3.2's sparse attention equals transformers' on a tiny checkpoint (tools/make-reference-fixtures.py) whose
 * indexer keeps 4 keys of up to 20 (the 12-token batch and 8 greedy tokens, cached): logits, loss, greedy tokens
 * batched and one row at a time through the KV cache (which carries the index keys), and a LoRA adapter. The same
 * checkpoint with the indexer keeping every key does not match: the selection is what the numbers test.
 */
class DeepseekV32ReferenceTest {

    @TempDir
    Path dir;

    @Test
    void matchesTransformers() throws Exception {
        HfReference.check(getClass(), "deepseek-v32", new DeepseekV32Architecture());
    }

    /** GLM-5's layout: the same sparse attention, indexer in every layer, keeping 5 keys. */
    @Test
    void glmMoeDsaMatchesTransformers() throws Exception {
        HfReference.check(getClass(), "glm-moe-dsa", new GlmMoeDsaArchitecture());
    }

    @Test
    void glmLayersThatShareASelectionAreRefused() throws Exception {
        Path folder = copyWith("glm-moe-dsa", Map.of("indexer_types", new String[] {"full", "shared"}));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new GlmMoeDsaArchitecture().layout(HfConfig.read(folder.resolve("config.json"))));
        assertTrue(e.getMessage().contains("indexer_types"), e.getMessage());
        Map<String, Object> every2 = new HashMap<>();
        every2.put("indexer_types", "null");
        every2.put("index_topk_freq", 2);
        every2.put("index_skip_topk_offset", 0);
        Path derived = copyWith("glm-moe-dsa", every2);
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new GlmMoeDsaArchitecture().layout(HfConfig.read(derived.resolve("config.json"))));
        assertTrue(e.getMessage().contains("index_topk_freq"), e.getMessage());
    }

    @Test
    void denseAttentionDoesNotMatch() throws Exception {
        Path dense = copyWith(Map.of("index_topk", 64));
        AssertionFailedError e =
                assertThrows(AssertionFailedError.class, () -> HfReference.check(dense, new DeepseekV32Architecture()));
        assertTrue(e.getMessage().contains("logits"), e.getMessage());
    }

    @Test
    void gradientsFlowThroughTheLatentAttentionAroundTheSelection() throws Exception {
        Path folder = HfReference.fixture(getClass(), "deepseek-v32");
        GradientCheck.check(folder, new DeepseekV32Architecture(), "model.layers.0.self_attn.kv_b_proj.weight", 1e-2f);
        // the last layer's q_b_proj moves no selection (the indexer reads the latent before it), so finite differences
        // see the same sparse attention autograd differentiates
        GradientCheck.check(folder, new DeepseekV32Architecture(), "model.layers.1.self_attn.q_b_proj.weight", 1e-2f);
        GradientCheck.check(
                folder, new DeepseekV32Architecture(), "model.layers.1.self_attn.kv_a_proj_with_mqa.weight", 1e-2f);
    }

    @Test
    void configErrorsNameTheirField() throws Exception {
        assertNamed("q_lora_rank", Map.of("q_lora_rank", "null"));
        assertNamed("index_head_dim", Map.of("index_head_dim", 2));
        assertNamed("index_topk", Map.of("index_topk", 0));
        assertNamed("mlp_layer_types", Map.of("mlp_layer_types", new String[] {"dense"}));
    }

    private void assertNamed(String field, Map<String, Object> change) throws Exception {
        Path folder = copyWith(change);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new DeepseekV32Architecture().layout(HfConfig.read(folder.resolve("config.json"))));
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    /** The fixture in a fresh folder, its config.json changed ("null" for a JSON null). */
    private Path copyWith(Map<String, Object> change) throws Exception {
        return copyWith("deepseek-v32", change);
    }

    private Path copyWith(String fixture, Map<String, Object> change) throws Exception {
        Path from = HfReference.fixture(getClass(), fixture);
        Path to = Files.createTempDirectory(dir, "v32");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> config =
                new HashMap<>(json.readValue(to.resolve("config.json").toFile(), Map.class));
        change.forEach((k, v) -> config.put(k, "null".equals(v) ? null : v));
        json.writeValue(to.resolve("config.json").toFile(), config);
        return to;
    }
}
