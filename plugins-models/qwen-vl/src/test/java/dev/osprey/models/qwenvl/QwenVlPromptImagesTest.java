package dev.osprey.models.qwenvl;

import static dev.osprey.models.qwenvl.QwenVlFixture.flatLongs;
import static dev.osprey.models.qwenvl.QwenVlFixture.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.media.MediaException;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.MediaProcessor;

/**
 * The prompt path of Qwen2-VL against transformers (tools/make-qwen-vl-prompt-fixtures.py): a prompt as the encoder
 * gives it (one media part where each {@code <|image_pad|>} was) and two PNG files become the ids, pixel values and
 * greedy tokens that Qwen2-VL's own image processor and model give.
 */
class QwenVlPromptImagesTest {

    static Stream<Arguments> models() {
        return Stream.of(
                arguments("qwen2-vl", new Qwen2VlArchitecture()), arguments("qwen3-vl", new Qwen3VlArchitecture()));
    }

    /**
     * Qwen3-VL's processor is Qwen2-VL's image processor with its own config (16-pixel patches on the Hub, here 4;
     * mean and std 0.5; size.shortest_edge and longest_edge), found through processor_class Qwen3VLProcessor.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void imagesFromFilesGiveTransformersIdsPixelsAndGreedyTokens(String name, QwenVlFamily architecture)
            throws IOException {
        Path model = HfReference.fixture(QwenVlPromptImagesTest.class, name);
        Path images = model.resolveSibling(name + "-images");
        JsonNode ref = new ObjectMapper().readTree(images.resolve("images.json").toFile());
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            // the images folder holds the processor's config; the model folder's weights are the fixture's
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            assertEquals(Map.of("image", "<|image_pad|>", "video", "<|video_pad|>"), processor.placeholders());
            int[] promptIds = ints(ref.get("prompt_ids"));
            int[] labels = promptIds.clone();
            List<MediaInput> media = new ArrayList<>();
            for (int i = 0; i < ref.get("images").size(); i++) {
                media.add(new MediaInput(
                        ref.get("media_positions").get(i).asInt(),
                        ContentPart.image(ref.get("images").get(i).asText())));
            }
            MediaProcessor.Processed p =
                    processor.process(new EncodedPrompt(promptIds, labels, media), new MediaLoader(images), manager);

            assertArrayEquals(ints(ref.get("input_ids")), p.inputIds());
            for (int i = 0; i < p.inputIds().length; i++) {
                boolean image = p.inputIds()[i] == hf.config().requireInt("image_token_id");
                assertEquals(image ? EncodedPrompt.IGNORE_INDEX : p.inputIds()[i], p.labels()[i], "label " + i);
            }
            NDArray grid = p.media().require(MediaTensors.IMAGE_GRID_THW, "test");
            assertArrayEquals(flatLongs(ref.get("image_grid_thw")), grid.toLongArray());
            NDArray pixels = p.media().require(MediaTensors.PIXEL_VALUES, "test");
            assertArrayEquals(
                    flatLongs(ref.get("pixel_values_shape")), pixels.getShape().getShape());
            float[] values = pixels.toFloatArray();
            double sum = 0;
            for (float v : values) {
                sum += v;
            }
            assertEquals(ref.get("pixel_values_sum").asDouble(), sum, 1e-3, "sum of pixel_values");
            JsonNode first = ref.get("pixel_values_first");
            for (int i = 0; i < first.size(); i++) {
                assertEquals(first.get(i).asDouble(), values[i], 1e-6, "pixel_values[0][" + i + "]");
            }

            JsonNode greedy = ref.get("greedy");
            GenerationOptions options = GenerationOptions.greedy(
                    greedy.get("max_new_tokens").asInt(),
                    new HashSet<>(hf.generationConfig().eosTokenIds()));
            List<Generator.Result> out =
                    Generator.generate(hf.model(), List.of(p.inputIds()), p.media(), options, null, null, null);
            assertArrayEquals(ints(greedy.get("tokens")), out.get(0).tokens(), "transformers' greedy tokens");
        }
    }

    @Test
    void aPromptWithoutMediaIsLeftAsItIsAndAMissingImageIsNamed() throws IOException {
        Path model = HfReference.fixture(QwenVlPromptImagesTest.class, "qwen2-vl");
        Path images = model.resolveSibling("qwen2-vl-images");
        Qwen2VlArchitecture architecture = new Qwen2VlArchitecture();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            int[] ids = {1, 17, 150, 153};
            MediaProcessor.Processed text =
                    processor.process(new EncodedPrompt(ids, ids, List.of()), new MediaLoader(images), manager);
            assertArrayEquals(ids, text.inputIds());
            assertNull(text.media());
            MediaException missing = assertThrows(
                    MediaException.class,
                    () -> processor.process(
                            new EncodedPrompt(ids, ids, List.of(new MediaInput(3, ContentPart.image("nope.png")))),
                            new MediaLoader(images),
                            manager));
            assertTrue(missing.getMessage().contains("nope.png"), missing.getMessage());
        }
    }
}
