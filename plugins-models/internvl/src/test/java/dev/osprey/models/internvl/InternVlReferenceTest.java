package dev.osprey.models.internvl;

import static dev.osprey.model.reference.MediaReference.decode;
import static dev.osprey.model.reference.MediaReference.flat;
import static dev.osprey.model.reference.MediaReference.longs;
import static dev.osprey.model.reference.MediaReference.matrix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;
import dev.osprey.models.internlm.InternLm2Architecture;
import dev.osprey.models.llama.LlamaArchitecture;
import dev.osprey.models.qwen.Qwen2Architecture;
import dev.osprey.models.qwen.Qwen3Architecture;

/**
 * InternVL's logits, loss, greedy tokens through the KV cache and LoRA outputs equal those its own code computed for
 * the same tiny checkpoints and tiles (tools/make-internvl-fixtures.py; src/test/resources/reference): transformers'
 * {@code InternVLForConditionalGeneration} for the "-hf" format (a LayerNorm InternViT), and OpenGVLab's remote
 * {@code InternVLChatModel} for the chat format, once with an RMSNorm InternViT with q/k norms over a Qwen2 language
 * model (the qwen bundle's decoder), once with a LayerNorm InternViT, q/k/v biases and ps_version v1 over OpenGVLab's
 * InternLM2 (the internlm bundle's decoder); a left-padded batch of two rows, the first with two images (2 and 1
 * tiles), the second with one of 3 tiles.
 */
class InternVlReferenceTest {

    /** The language model families the tests install, as the framework would find them. */
    static final List<ModelArchitecture> LANGUAGE_MODELS = List.of(
            new Qwen2Architecture(), new Qwen3Architecture(), new InternLm2Architecture(), new LlamaArchitecture());

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("internvl-hf", new InternVlArchitecture(LANGUAGE_MODELS), "language_model.model.layers."),
                arguments(
                        "internvl-chat", new InternVlChatArchitecture(LANGUAGE_MODELS), "language_model.model.layers."),
                arguments(
                        "internvl-chat-internlm2",
                        new InternVlChatArchitecture(LANGUAGE_MODELS),
                        "language_model.model.layers."));
    }

    /** A fixture: reference.json and the tiles of inputs.safetensors. */
    record Fixture(
            Path folder, JsonNode ref, long[][] ids, long[][] mask, long[][] labels, float[] pixels, Shape shape) {

        static Fixture of(String name) throws IOException {
            Path folder = HfReference.fixture(InternVlReferenceTest.class, name);
            JsonNode ref =
                    new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray p = WeightFiles.openFile(folder.resolve("inputs.safetensors"))
                        .load(m, MediaTensors.PIXEL_VALUES, DataType.FLOAT32);
                return new Fixture(
                        folder,
                        ref,
                        matrix(ref.get("input_ids")),
                        matrix(ref.get("attention_mask")),
                        matrix(ref.get("labels")),
                        p.toFloatArray(),
                        p.getShape());
            }
        }

        /** The tiles of the images in the rows given (every row: all of them). */
        MediaTensors media(NDManager m, int firstTile, int tiles) {
            long size = shape.size() / shape.get(0);
            float[] chosen = Arrays.copyOfRange(pixels, (int) (firstTile * size), (int) ((firstTile + tiles) * size));
            return MediaTensors.of(Map.of(
                    MediaTensors.PIXEL_VALUES,
                    m.create(chosen, new Shape(tiles, shape.get(1), shape.get(2), shape.get(3)))));
        }

        MediaTensors media(NDManager m) {
            return media(m, 0, (int) shape.get(0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsLossGreedyTokensAndLoraAreTheReferenceCode(String name, InternVlFamily architecture, String layers)
            throws IOException {
        Fixture f = Fixture.of(name);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder(), c -> architecture, manager, DataType.FLOAT32)) {
            assertEquals(List.of(), model.unusedWeights(), name + ": every checkpoint tensor has a place");
            compareForward(
                    name,
                    f,
                    model,
                    manager,
                    null,
                    f.ref().get("logits"),
                    f.ref().get("loss").asDouble());

            JsonNode greedy = f.ref().get("greedy");
            List<long[]> batched = decode(
                    model,
                    manager,
                    f.ids(),
                    f.mask(),
                    f.media(manager),
                    greedy.get("max_new_tokens").asInt());
            for (int b = 0; b < f.ids().length; b++) {
                assertArrayEquals(
                        longs(greedy.get("tokens").get(b)), batched.get(b), name + ": greedy tokens of row " + b);
            }

            JsonNode lora = f.ref().get("lora");
            LanguageModel language = model.model();
            List<Linear> linears = LoraMerge.linearsOf(language);
            List<String> attached = PeftAdapter.attach(
                    f.folder().resolve(lora.get("folder").asText()), linears, "ref", manager, language::checkpointKey);
            assertEquals(lora.get("modules").size(), attached.size(), "the adapter's modules, attached " + attached);
            assertTrue(attached.stream().allMatch(m -> m.startsWith(layers)), attached.toString());
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

    /**
     * An AWQ checkpoint as lmdeploy writes OpenGVLab's InternVL*-AWQ ids (tools/make-internvl-awq-fixture.py): the
     * language model's linears packed, {@code llm_config.quantization_config}, the vision tower and projector dense;
     * the remote code's logits, loss and greedy tokens with the dequantized weights, over Qwen2 and InternLM2.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"internvl-chat-awq", "internvl-chat-internlm2-awq"})
    void anAwqChatCheckpointIsTheReferenceCodeWithItsDequantizedWeights(String name) throws IOException {
        Fixture f = Fixture.of(name);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder(), c -> new InternVlChatArchitecture(LANGUAGE_MODELS), manager, DataType.FLOAT32)) {
            assertEquals(List.of(), model.unusedWeights(), "every checkpoint tensor has a place");
            compareForward(
                    name,
                    f,
                    model,
                    manager,
                    null,
                    f.ref().get("logits"),
                    f.ref().get("loss").asDouble());
            JsonNode greedy = f.ref().get("greedy");
            List<long[]> batched = decode(
                    model,
                    manager,
                    f.ids(),
                    f.mask(),
                    f.media(manager),
                    greedy.get("max_new_tokens").asInt());
            for (int b = 0; b < f.ids().length; b++) {
                assertArrayEquals(longs(greedy.get("tokens").get(b)), batched.get(b), "greedy tokens of row " + b);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void gradientsReachTheVisionTowerAndTheProjector(String name, InternVlFamily architecture, String layers)
            throws Exception {
        Fixture f = Fixture.of(name);
        long[] prompt = f.ids()[0].clone(); // row 0: two images of 3 tiles in all, no padding
        TowerNames n = name.equals("internvl-hf") ? TowerNames.HF : TowerNames.CHAT;
        String block = n.tower() + "." + n.layers() + ".0.";
        for (String key : List.of(
                n.tower() + "." + n.patchEmbedding() + ".weight",
                n.tower() + "." + n.classToken(),
                n.tower() + "." + n.positionEmbedding(),
                block + n.norm1() + ".weight",
                block + n.scale1(),
                block + "mlp.fc1.weight",
                n.projector() + "." + n.projectorNorm() + ".weight",
                n.projector() + "." + n.projectorUp() + ".weight")) {
            GradientCheck.check(f.folder(), architecture, key, 0, 1e-3f, prompt, m -> f.media(m, 0, 3));
        }
    }

    @Test
    void modulesAreNamedAsMsSwiftNamesThem() throws IOException {
        Fixture f = Fixture.of("internvl-chat");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder(), c -> new InternVlChatArchitecture(LANGUAGE_MODELS), manager, DataType.FLOAT32)) {
            MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
            assertEquals("aligner", keys.moduleOf("mlp1.1.weight").orElseThrow());
            assertEquals(
                    "vision_tower",
                    keys.moduleOf("vision_model.encoder.layers.0.attn.qkv.weight")
                            .orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("language_model.model.layers.0.self_attn.q_proj.weight")
                            .orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("language_model.lm_head.weight").orElseThrow());
            for (String key : model.model().parameters().keySet()) {
                assertTrue(keys.moduleOf(key).isPresent(), key + " belongs to a module");
            }
        }
    }

    @Test
    void transformersInMemoryNamesAreTheCheckpointsNames() {
        InternVlArchitecture a = new InternVlArchitecture(LANGUAGE_MODELS);
        assertEquals(
                "language_model.model.layers.0.mlp.up_proj",
                a.checkpointKey("model.language_model.layers.0.mlp.up_proj"));
        assertEquals("language_model.lm_head.weight", a.checkpointKey("lm_head.weight"));
        assertEquals(
                "vision_tower.encoder.layer.1.lambda_1",
                a.checkpointKey("model.vision_tower.encoder.layer.1.lambda_1"));
        assertEquals("multi_modal_projector.linear_1", a.checkpointKey("model.multi_modal_projector.linear_1"));
    }

    /** transformers 5 ties the "-hf" head to the embeddings only when the checkpoint lacks one, whatever text_config says. */
    @Test
    void theHfFormatTiesItsHeadOnlyWhenTheCheckpointHasNone(@org.junit.jupiter.api.io.TempDir Path temp)
            throws IOException {
        Fixture f = Fixture.of("internvl-hf");
        @SuppressWarnings("unchecked")
        Map<String, Object> config =
                new ObjectMapper().readValue(f.folder().resolve("config.json").toFile(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> text = (Map<String, Object>) config.get("text_config");
        text.put("tie_word_embeddings", true);
        config.remove("tie_word_embeddings"); // InternVLConfig's default: true
        InternVlArchitecture a = new InternVlArchitecture(LANGUAGE_MODELS);
        assertTrue(
                !a.layout(HfConfig.of(config, f.folder().resolve("config.json")))
                        .tieWordEmbeddings(),
                "the fixture's checkpoint has language_model.lm_head.weight");

        String header = "{\"language_model.model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]}}";
        byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer file =
                java.nio.ByteBuffer.allocate(8 + json.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json).putFloat(0f);
        java.nio.file.Files.write(temp.resolve("model.safetensors"), file.array());
        assertTrue(
                a.layout(HfConfig.of(config, temp.resolve("config.json"))).tieWordEmbeddings(),
                "a checkpoint without a head of its own ties it");
        config.put("tie_word_embeddings", false);
        assertTrue(!a.layout(HfConfig.of(config, temp.resolve("config.json"))).tieWordEmbeddings());
    }

    @Test
    void tilesThatDoNotFitThePlaceholdersAreRefused() throws IOException {
        Fixture f = Fixture.of("internvl-hf");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder(), c -> new InternVlArchitecture(LANGUAGE_MODELS), manager, DataType.FLOAT32)) {
            Shape shape = new Shape(2, f.ids()[0].length);
            ForwardRequest request = ForwardRequest.builder(manager.create(flat(f.ids()), shape))
                    .optAttentionMask(manager.create(flat(f.mask()), shape))
                    .optMedia(f.media(manager, 0, 3)) // row 0's tiles only
                    .build();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> model.model().forward(request));
            assertTrue(
                    e.getMessage().contains("24 <IMG_CONTEXT> tokens (id 152) for 3 image tiles of 4 tokens each"),
                    e.getMessage());
        }
    }

    @Test
    void aLanguageModelOfAFamilyNotInstalledIsNamed() throws IOException {
        Fixture f = Fixture.of("internvl-chat");
        InternVlChatArchitecture withoutQwen = new InternVlChatArchitecture(List.of(new LlamaArchitecture()));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> withoutQwen.layout(HfConfig.read(f.folder().resolve("config.json"))));
        assertTrue(e.getMessage().contains("llm_config.architectures [Qwen2ForCausalLM]"), e.getMessage());
        assertTrue(e.getMessage().contains("installed: [llama]"), e.getMessage());
    }

    @Test
    void anInternLm2LanguageModelTakesInternLm2sCheckpointNames() throws IOException {
        Fixture f = Fixture.of("internvl-chat");
        Map<String, Object> config =
                new ObjectMapper().readValue(f.folder().resolve("config.json").toFile(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> llm = (Map<String, Object>) config.get("llm_config");
        llm.put("architectures", List.of("InternLM2ForCausalLM"));
        llm.put("model_type", "internlm2");
        llm.put("bias", false);
        var layout = new InternVlChatArchitecture(LANGUAGE_MODELS)
                .layout(HfConfig.of(config, f.folder().resolve("config.json")));
        assertEquals("language_model.model.tok_embeddings", layout.keys().embedTokens());
        assertEquals("language_model.output", layout.keys().lmHead());
        assertEquals("feed_forward", layout.keys().feedForward());
    }

    private static void compareForward(
            String what,
            Fixture f,
            HfModel model,
            NDManager manager,
            String adapter,
            JsonNode expected,
            double expectedLoss) {
        Shape shape = new Shape(f.ids().length, f.ids()[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(f.ids()), shape))
                    .optAttentionMask(scope.create(flat(f.mask()), shape))
                    .optAdapter(adapter)
                    .optMedia(f.media(scope))
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits(what, logits, f.mask(), expected);
            double loss = Losses.causalLm(logits, scope.create(flat(f.labels()), shape))
                    .getFloat();
            assertEquals(
                    expectedLoss, loss, HfReference.RELATIVE_TOLERANCE * Math.max(1, expectedLoss), what + ": loss");
        }
    }
}
