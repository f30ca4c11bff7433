package dev.osprey.models.qwenvl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.GradientCheck;

/**
 * Qwen3.5's and Qwen3.5-MoE's logits, loss, greedy tokens through the cache (the gated DeltaNet layers' recurrent
 * state, the full attention's keys and values) and LoRA outputs equal those Hugging Face transformers computed for
 * the same tiny checkpoints and media (tools/make-qwen35-fixtures.py; src/test/resources/reference/qwen3.5*): a
 * left-padded batch of two rows, the first with two images of different shapes, the second with one (and, for
 * Qwen3.5, a video of two frame groups).
 */
class Qwen35ReferenceTest {

    private static final String NAME = "qwen3.5";

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("qwen3.5", new Qwen35Architecture()), arguments("qwen3.5-moe", new Qwen35MoeArchitecture()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsLossGreedyTokensAndLoraAreTransformers(String name, Qwen35Family architecture) throws IOException {
        // the adapter covers the linear attention's split projections too
        QwenVlTransformersCheck.logitsLossGreedyTokensAndLora(name, architecture, attached -> {
            assertTrue(attached.stream().anyMatch(m -> m.endsWith("linear_attn.in_proj_qkv")), attached.toString());
            assertTrue(
                    attached.stream().allMatch(m -> m.startsWith("model.language_model.layers.")), attached.toString());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void gradientsReachTheVisionTowerAndTheLinearAttention(String name, Qwen35Family architecture) throws Exception {
        QwenVlFixture f = new QwenVlFixture(name);
        long[] prompt = f.ids[0].clone(); // row 0: two images, no padding
        List<String> keys = new ArrayList<>(List.of(
                "model.visual.patch_embed.proj.weight",
                "model.visual.pos_embed.weight",
                "model.visual.blocks.0.attn.qkv.weight",
                "model.visual.merger.linear_fc2.weight",
                "model.language_model.layers.0.linear_attn.in_proj_qkv.weight",
                "model.language_model.layers.0.linear_attn.in_proj_a.weight",
                "model.language_model.layers.1.self_attn.q_proj.weight"));
        if (architecture.moe()) {
            keys.add("model.language_model.layers.1.mlp.shared_expert_gate.weight");
            keys.add("model.language_model.layers.0.mlp.gate.weight");
        }
        for (String key : keys) {
            GradientCheck.check(f.folder, architecture, key, 0, 1e-3f, prompt, m -> f.media(m, r -> r == 0));
        }
    }

    @Test
    void modulesAreNamedAsMsSwiftNamesThem() throws IOException {
        QwenVlFixture f = new QwenVlFixture(NAME);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> new Qwen35Architecture(), manager, DataType.FLOAT32)) {
            MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
            assertEquals(
                    "aligner",
                    keys.moduleOf("model.visual.merger.linear_fc1.weight").orElseThrow());
            assertEquals(
                    "vision_tower",
                    keys.moduleOf("model.visual.pos_embed.weight").orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("model.language_model.layers.0.linear_attn.in_proj_z.weight")
                            .orElseThrow());
            for (String key : model.model().parameters().keySet()) {
                assertTrue(keys.moduleOf(key).isPresent(), key + " belongs to a module");
            }
        }
    }

    @Test
    void anMropeSectionThatDoesNotSplitTheRotaryFeaturesIsRefusedByName(@TempDir Path dir) throws IOException {
        QwenVlFixture f = new QwenVlFixture(NAME);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config =
                (ObjectNode) json.readTree(f.folder.resolve("config.json").toFile());
        // head_dim 16 with partial_rotary_factor 0.5: 4 rotary frequencies, not 8
        ((ArrayNode) config.with("text_config").with("rope_parameters").putArray("mrope_section"))
                .add(3)
                .add(3)
                .add(2);
        Path file = dir.resolve("config.json");
        Files.writeString(file, json.writeValueAsString(config));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new Qwen35Architecture().layout(HfConfig.read(file)));
        assertTrue(e.getMessage().contains("mrope_section") && e.getMessage().contains("config.json"), e.getMessage());
    }
}
