package dev.osprey.models.llava;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.Losses;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.reference.GradientCheck;
import dev.osprey.model.reference.HfReference;
import dev.osprey.models.llama.LlamaArchitecture;
import dev.osprey.models.llama.Ministral3Architecture;
import dev.osprey.models.llama.MistralArchitecture;
import dev.osprey.models.qwen.Qwen2Architecture;

/**
 * Mistral 3's, Ministral 3's (YaRN and Llama 4's position-scaled queries past a tiny original context), Pixtral's
 * and LLaVA 1.5's logits, loss, greedy tokens through the KV cache and LoRA outputs equal those
 * Hugging Face transformers 5.12 computed for the same tiny checkpoints and images (written by
 * tools/make-llava-fixtures.py; src/test/resources/reference): a left-padded batch of two rows, two images in row 0
 * and one in row 1; Pixtral's images of three sizes padded to the largest.
 */
class LlavaReferenceTest {

    /** The language model families the fixtures name, as DS binds them. */
    static List<ModelArchitecture> languageModels() {
        return List.of(
                new MistralArchitecture(),
                new LlamaArchitecture(),
                new Ministral3Architecture(),
                new Qwen2Architecture());
    }

    static Stream<Arguments> fixtures() {
        return Stream.of(
                arguments("mistral3", (Supplier<LlavaFamily>) () -> new Mistral3Architecture(languageModels())),
                arguments("ministral3", (Supplier<LlavaFamily>) () -> new Mistral3Architecture(languageModels())),
                arguments("pixtral", (Supplier<LlavaFamily>) () -> new LlavaArchitecture(languageModels())),
                arguments("llava", (Supplier<LlavaFamily>) () -> new LlavaArchitecture(languageModels())),
                arguments("llava_next", (Supplier<LlavaFamily>) () -> new LlavaNextArchitecture(languageModels())),
                arguments("llava_onevision", (Supplier<LlavaFamily>)
                        () -> new LlavaOnevisionArchitecture(languageModels())));
    }

    /** reference.json and inputs.safetensors of a case. */
    record Fixture(Path folder, JsonNode ref, float[] pixels, Shape shape, long[][] sizes) {

        static Fixture of(String name) throws IOException {
            Path folder = HfReference.fixture(LlavaReferenceTest.class, name);
            JsonNode ref =
                    new ObjectMapper().readTree(folder.resolve("reference.json").toFile());
            WeightFiles inputs = WeightFiles.openFile(folder.resolve("inputs.safetensors"));
            try (NDManager scratch = NDManager.newBaseManager()) {
                NDArray p = inputs.load(scratch, MediaTensors.PIXEL_VALUES, DataType.FLOAT32);
                return new Fixture(folder, ref, p.toFloatArray(), p.getShape(), matrix(ref.get("image_sizes")));
            }
        }

        /** Images {@code from} (inclusive) to {@code to}, with their sizes. */
        MediaTensors media(NDManager m, int from, int to) {
            int each = (int) (shape.size() / shape.get(0));
            long[] dims = shape.getShape().clone();
            dims[0] = to - from;
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put(
                    MediaTensors.PIXEL_VALUES,
                    m.create(Arrays.copyOfRange(pixels, from * each, to * each), new Shape(dims)));
            long[][] chosen = Arrays.copyOfRange(sizes, from, to);
            tensors.put(VisionStage.IMAGE_SIZES, m.create(flat(chosen), new Shape(to - from, 2)));
            return MediaTensors.of(tensors);
        }

        int images() {
            return (int) shape.get(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void logitsLossGreedyTokensAndLoraAreTransformers(String name, Supplier<LlavaFamily> architecture)
            throws IOException {
        Fixture f = Fixture.of(name);
        LlavaFamily family = architecture.get();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(f.folder, c -> family, manager, DataType.FLOAT32)) {
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
            int newTokens = greedy.get("max_new_tokens").asInt();
            long[][] ids = matrix(greedy.get("input_ids"));
            long[][] mask = matrix(greedy.get("attention_mask"));
            List<long[]> batched = decode(model, manager, ids, mask, f.media(manager, 0, f.images()), newTokens);
            int first = 0;
            for (int b = 0; b < ids.length; b++) {
                assertArrayEquals(
                        longs(greedy.get("tokens").get(b)), batched.get(b), name + ": greedy tokens of row " + b);
                long real = Arrays.stream(mask[b]).sum();
                long[][] alone = {
                    Arrays.stream(ids[b]).skip(ids[b].length - real).toArray()
                };
                long[][] ones = {Arrays.stream(alone[0]).map(t -> 1).toArray()};
                int count = greedy.get("images_per_row").get(b).asInt();
                assertArrayEquals(
                        longs(greedy.get("tokens_alone").get(b)),
                        decode(model, manager, alone, ones, f.media(manager, first, first + count), newTokens)
                                .get(0),
                        name + ": greedy tokens of row " + b + " alone");
                first += count;
            }

            // transformers 5 names the adapter's modules model.language_model.layers.N...
            JsonNode lora = f.ref.get("lora");
            LanguageModel language = model.model();
            List<Linear> linears = LoraMerge.linearsOf(language);
            List<String> attached = PeftAdapter.attach(
                    f.folder.resolve(lora.get("folder").asText()), linears, "ref", manager, language::checkpointKey);
            assertEquals(lora.get("modules").size(), attached.size(), "the adapter's modules, attached " + attached);
            assertTrue(
                    attached.stream().allMatch(m -> m.startsWith("language_model.model.layers.")), attached.toString());
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
    void gradientsReachTheVisionTowerAndTheProjector(String name, Supplier<LlavaFamily> architecture) throws Exception {
        Fixture f = Fixture.of(name);
        JsonNode greedy = f.ref.get("greedy");
        long[] prompt = longs(greedy.get("input_ids").get(0)); // row 0: no padding
        int images = greedy.get("images_per_row").get(0).asInt();
        List<String> keys = switch (name) {
            case "llava_onevision" ->
                List.of(
                        "image_newline",
                        "vision_tower.vision_model.embeddings.patch_embedding.weight",
                        "vision_tower.vision_model.encoder.layers.1.mlp.fc2.weight",
                        "multi_modal_projector.linear_1.weight");
            case "llava_next" ->
                List.of(
                        "image_newline",
                        "vision_tower.vision_model.encoder.layers.1.mlp.fc2.weight",
                        "multi_modal_projector.linear_2.bias");
            case "llava" ->
                List.of(
                        "vision_tower.vision_model.embeddings.class_embedding",
                        "vision_tower.vision_model.embeddings.patch_embedding.weight",
                        "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
                        "vision_tower.vision_model.pre_layrnorm.bias",
                        "multi_modal_projector.linear_1.weight");
            case "mistral3", "ministral3" ->
                List.of(
                        "vision_tower.patch_conv.weight",
                        "vision_tower.transformer.layers.0.attention.k_proj.weight",
                        "vision_tower.transformer.layers.1.feed_forward.gate_proj.weight",
                        "multi_modal_projector.norm.weight",
                        "multi_modal_projector.patch_merger.merging_layer.weight",
                        "multi_modal_projector.linear_2.weight");
            default ->
                List.of(
                        "vision_tower.ln_pre.weight",
                        "vision_tower.transformer.layers.0.attention_norm.weight",
                        "multi_modal_projector.linear_1.bias");
        };
        for (String key : keys) {
            GradientCheck.check(f.folder, architecture.get(), key, 0, 1e-3f, prompt, m -> f.media(m, 0, images));
        }
    }

    @Test
    void modulesAreNamedAsMsSwiftNamesThem() throws IOException {
        Fixture f = Fixture.of("mistral3");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder, c -> new Mistral3Architecture(languageModels()), manager, DataType.FLOAT32)) {
            MultimodalKeys keys = model.model().multimodalKeys().orElseThrow();
            assertEquals(
                    "aligner",
                    keys.moduleOf("multi_modal_projector.patch_merger.merging_layer.weight")
                            .orElseThrow());
            assertEquals(
                    "vision_tower",
                    keys.moduleOf("vision_tower.transformer.layers.0.attention.q_proj.weight")
                            .orElseThrow());
            assertEquals(
                    "language_model",
                    keys.moduleOf("language_model.model.layers.0.self_attn.q_proj.weight")
                            .orElseThrow());
            for (String key : model.model().parameters().keySet()) {
                assertTrue(keys.moduleOf(key).isPresent(), key + " belongs to a module");
            }
        }
    }

    @Test
    void oneVisionTilesTheImagesTheRequestPutsAloneInARow() throws IOException {
        Fixture f = Fixture.of("llava_onevision");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder, c -> new LlavaOnevisionArchitecture(languageModels()), manager, DataType.FLOAT32)) {
            long[][] ids = matrix(f.ref.get("input_ids"));
            long[][] mask = matrix(f.ref.get("attention_mask"));
            Shape shape = new Shape(ids.length, ids[0].length);
            MediaTensors read = f.media(manager, 0, f.images());
            // rows 0, 0, 1: the two images of row 0 untiled, row 1's tiled, as transformers' batch_num_images [2, 1]
            MediaTensors withRows = new MediaTensors(read.tensors(), Map.of(MediaTensors.IMAGE, new int[] {0, 0, 1}));
            ForwardRequest request = ForwardRequest.builder(manager.create(flat(ids), shape))
                    .optAttentionMask(manager.create(flat(mask), shape))
                    .optMedia(withRows)
                    .build();
            HfReference.assertLogits(
                    "llava_onevision with rows", model.model().forward(request).logits(), mask, f.ref.get("logits"));
            // rows 0, 1, 1 contradict the tokens: image 0 alone would be tiled, and the features no longer fit
            MediaTensors wrong = new MediaTensors(read.tensors(), Map.of(MediaTensors.IMAGE, new int[] {0, 1, 1}));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> model.model()
                            .forward(ForwardRequest.builder(manager.create(flat(ids), shape))
                                    .optAttentionMask(manager.create(flat(mask), shape))
                                    .optMedia(wrong)
                                    .build()));
            assertTrue(e.getMessage().contains("llava_onevision"), e.getMessage());
        }
    }

    @Test
    void oneVisionVideoFramesArePooledAndEndWithANewline() throws IOException {
        Path folder = HfReference.fixture(LlavaReferenceTest.class, "llava_onevision");
        Path video = folder.resolveSibling("llava_onevision-video");
        JsonNode ref =
                new ObjectMapper().readTree(video.resolve("reference.json").toFile());
        WeightFiles inputs = WeightFiles.openFile(video.resolve("inputs.safetensors"));
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        folder, c -> new LlavaOnevisionArchitecture(languageModels()), manager, DataType.FLOAT32)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (String name : List.of(MediaTensors.PIXEL_VALUES, MediaTensors.PIXEL_VALUES_VIDEOS)) {
                tensors.put(name, inputs.load(manager, name, DataType.FLOAT32));
            }
            tensors.put(VisionStage.IMAGE_SIZES, inputs.load(manager, VisionStage.IMAGE_SIZES, null)); // int64
            MediaTensors media = MediaTensors.of(tensors);
            long[][] ids = matrix(ref.get("input_ids"));
            long[][] mask = matrix(ref.get("attention_mask"));
            Shape shape = new Shape(ids.length, ids[0].length);
            ForwardRequest request = ForwardRequest.builder(manager.create(flat(ids), shape))
                    .optAttentionMask(manager.create(flat(mask), shape))
                    .optMedia(media)
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits("llava_onevision with videos", logits, mask, ref.get("logits"));
            double loss = Losses.causalLm(logits, manager.create(flat(matrix(ref.get("labels"))), shape))
                    .getFloat();
            double expected = ref.get("loss").asDouble();
            assertEquals(expected, loss, HfReference.RELATIVE_TOLERANCE * Math.max(1, expected), "loss with videos");
            JsonNode greedy = ref.get("greedy");
            List<long[]> tokens = decode(
                    model,
                    manager,
                    ids,
                    mask,
                    media,
                    greedy.get("max_new_tokens").asInt());
            for (int b = 0; b < ids.length; b++) {
                assertArrayEquals(longs(greedy.get("tokens").get(b)), tokens.get(b), "greedy tokens of row " + b);
            }
        }
    }

    @Test
    void imagesThatDoNotFitThePlaceholdersAreRefusedByName() throws IOException {
        Fixture f = Fixture.of("mistral3");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel model = ModelLoader.load(
                        f.folder, c -> new Mistral3Architecture(languageModels()), manager, DataType.FLOAT32)) {
            long[][] ids = matrix(f.ref.get("input_ids"));
            Shape shape = new Shape(ids.length, ids[0].length);
            ForwardRequest twoImages = ForwardRequest.builder(manager.create(flat(ids), shape))
                    .optAttentionMask(manager.create(flat(matrix(f.ref.get("attention_mask"))), shape))
                    .optMedia(f.media(manager, 0, 2))
                    .build();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> model.model().forward(twoImages));
            assertTrue(
                    e.getMessage().contains("14 image tokens") && e.getMessage().contains("2 images"), e.getMessage());
        }
    }

    @Test
    void aLanguageModelThatIsNotInstalledIsRefusedByName() throws IOException {
        Fixture f = Fixture.of("mistral3");
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> ModelLoader.load(
                            f.folder, c -> new Mistral3Architecture(List.of()), manager, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("model_type mistral"), e.getMessage());
        }
    }

    private static void compareForward(
            String what, Fixture f, HfModel model, NDManager manager, String adapter, JsonNode expected, double loss) {
        long[][] ids = matrix(f.ref.get("input_ids"));
        long[][] mask = matrix(f.ref.get("attention_mask"));
        Shape shape = new Shape(ids.length, ids[0].length);
        try (NDManager scope = manager.newSubManager()) {
            ForwardRequest request = ForwardRequest.builder(scope.create(flat(ids), shape))
                    .optAttentionMask(scope.create(flat(mask), shape))
                    .optAdapter(adapter)
                    .optMedia(f.media(scope, 0, f.images()))
                    .build();
            NDArray logits = model.model().forward(request).logits(); // (B, T, V)
            HfReference.assertLogits(what, logits, mask, expected);
            double actual = Losses.causalLm(logits, scope.create(flat(matrix(f.ref.get("labels"))), shape))
                    .getFloat();
            assertEquals(loss, actual, HfReference.RELATIVE_TOLERANCE * Math.max(1, loss), what + ": loss");
        }
    }
}
