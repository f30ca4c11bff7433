package dev.osprey.models.qwenvl;

import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.models.qwenvl.QwenVlFixture.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;

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
        QwenVlFixture f = new QwenVlFixture(name);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> architecture, manager, DataType.FLOAT32)) {
            assertEquals(List.of(), model.unusedWeights(), name + ": every checkpoint tensor has a place");
            compareForward(
                    name,
                    f,
                    model,
                    manager,
                    null,
                    f.ref.get("logits"),
                    f.ref.get("loss").asDouble());

            JsonNode greedy = f.ref.get("greedy");
            GenerationOptions options = GenerationOptions.greedy(
                    greedy.get("max_new_tokens").asInt(),
                    new HashSet<>(model.generationConfig().eosTokenIds()));
            List<int[]> prompts = new ArrayList<>();
            for (int b = 0; b < f.ids.length; b++) {
                long real = Arrays.stream(f.mask[b]).sum();
                prompts.add(Arrays.stream(f.ids[b])
                        .skip(f.ids[b].length - real)
                        .mapToInt(t -> (int) t)
                        .toArray());
            }
            List<Generator.Result> batched =
                    Generator.generate(model.model(), prompts, f.media(manager), options, null, null, null);
            for (int b = 0; b < prompts.size(); b++) {
                int row = b;
                assertArrayEquals(
                        ints(greedy.get("tokens").get(b)),
                        batched.get(b).tokens(),
                        name + ": greedy tokens of row " + b);
                List<Generator.Result> alone = Generator.generate(
                        model.model(),
                        List.of(prompts.get(b)),
                        f.media(manager, r -> r == row),
                        options,
                        null,
                        null,
                        null);
                assertArrayEquals(
                        ints(greedy.get("tokens_alone").get(b)),
                        alone.get(0).tokens(),
                        name + ": greedy tokens of row " + b + " alone");
            }

            // the adapter covers the linear attention's split projections too
            JsonNode lora = f.ref.get("lora");
            LanguageModel language = model.model();
            List<Linear> linears = LoraMerge.linearsOf(language);
            List<String> attached = PeftAdapter.attach(
                    f.folder.resolve(lora.get("folder").asText()), linears, "ref", manager, language::checkpointKey);
            assertEquals(lora.get("modules").size(), attached.size(), "the adapter's modules, attached " + attached);
            assertTrue(attached.stream().anyMatch(m -> m.endsWith("linear_attn.in_proj_qkv")), attached.toString());
            assertTrue(
                    attached.stream().allMatch(m -> m.startsWith("model.language_model.layers.")), attached.toString());
            compareForward(
                    name + " with its LoRA adapter",
                    f,
                    model,
                    manager,
                    "ref",
                    lora.get("logits"),
                    lora.get("loss").asDouble());
        }
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

    private static void compareForward(
            String what,
            QwenVlFixture f,
            HfModel model,
            NDManager manager,
            String adapter,
            JsonNode expected,
            double expectedLoss) {
        Shape shape = new Shape(f.ids.length, f.ids[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(f.ids), shape))
                    .optAttentionMask(scope.create(flat(f.mask), shape))
                    .optAdapter(adapter)
                    .optMedia(f.media(scope))
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits(what, logits, f.mask, expected);
            double loss =
                    Losses.causalLm(logits, scope.create(flat(f.labels), shape)).getFloat();
            assertEquals(
                    expectedLoss, loss, HfReference.RELATIVE_TOLERANCE * Math.max(1, expectedLoss), what + ": loss");
        }
    }
}
