package dev.osprey.models.llava;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.media.MediaException;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.spi.MediaProcessor;

/**
 * The prompt path against transformers (tools/make-llava-fixtures.py, cases mistral3-images and llava-images): a prompt
 * as the encoder gives it (one media part where each placeholder was) and two PNG files of different shapes become the
 * ids, pixel values, image sizes and greedy tokens that transformers' processor and model give: Mistral 3's
 * {@code PixtralProcessor} ({@code [IMG]} rows with {@code [IMG_BREAK]} and {@code [IMG_END]}), LLaVA 1.5's
 * {@code LlavaProcessor} ({@code <image>} per patch, CLIP's resize and crop), LLaVA-NeXT's {@code LlavaNextProcessor}
 * (any-resolution tiles, {@code <image>} per packed feature), LLaVA-OneVision's {@code LlavaOnevisionProcessor} (a
 * prompt's two images each untiled and padded to a square; one image alone tiled, its map shrunk past
 * {@code anyres_max_1}).
 */
class LlavaPromptImagesTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mistral3, [IMG], mistral3-images",
        "llava, <image>, llava-images",
        "llava_next, <image>, llava_next-images",
        "llava_onevision, <image>, llava_onevision-images",
        "llava_onevision, <image>, llava_onevision_one-images"
    })
    void imagesFromFilesGiveTransformersIdsPixelsAndGreedyTokens(String name, String placeholder, String folder)
            throws IOException {
        Path model = HfReference.fixture(LlavaPromptImagesTest.class, name);
        Path images = model.resolveSibling(folder);
        JsonNode ref = new ObjectMapper().readTree(images.resolve("images.json").toFile());
        LlavaFamily architecture = switch (name) {
            case "mistral3" -> new Mistral3Architecture(LlavaReferenceTest.languageModels());
            case "llava_next" -> new LlavaNextArchitecture(LlavaReferenceTest.languageModels());
            case "llava_onevision" -> new LlavaOnevisionArchitecture(LlavaReferenceTest.languageModels());
            default -> new LlavaArchitecture(LlavaReferenceTest.languageModels());
        };
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            // the images folder holds the processor's config and tokenizer, the model folder the fixture's weights
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            assertEquals(Map.of("image", placeholder), processor.placeholders());
            int[] promptIds = ints(ref.get("prompt_ids"));
            List<MediaInput> media = new ArrayList<>();
            for (int i = 0; i < ref.get("images").size(); i++) {
                media.add(new MediaInput(
                        ref.get("media_positions").get(i).asInt(),
                        ContentPart.image(ref.get("images").get(i).asText())));
            }
            MediaProcessor.Processed p = processor.process(
                    new EncodedPrompt(promptIds, promptIds.clone(), media), new MediaLoader(images), manager);

            assertArrayEquals(ints(ref.get("input_ids")), p.inputIds(), "the processor's input_ids");
            int text = 0;
            for (int i = 0; i < p.inputIds().length; i++) {
                boolean image = p.inputIds()[i] >= 150 && p.inputIds()[i] <= 152; // [IMG], [IMG_BREAK], [IMG_END]
                assertEquals(image ? EncodedPrompt.IGNORE_INDEX : promptIds[text], p.labels()[i], "label " + i);
                text += image ? 0 : 1;
            }
            WeightFiles expected = WeightFiles.openFile(images.resolve("pixels.safetensors"));
            if (ref.get("image_sizes").isNull()) {
                assertTrue(p.media().get(VisionStage.IMAGE_SIZES).isEmpty(), "no image_sizes for LLaVA 1.5");
            } else {
                NDArray sizes = p.media().require(VisionStage.IMAGE_SIZES, "test");
                long[] wantedSizes = new long[ref.get("image_sizes").size() * 2];
                for (int i = 0; i < wantedSizes.length; i++) {
                    wantedSizes[i] =
                            ref.get("image_sizes").get(i / 2).get(i % 2).asLong();
                }
                assertArrayEquals(wantedSizes, sizes.toLongArray(), "image_sizes");
            }
            NDArray pixels = p.media().require(MediaTensors.PIXEL_VALUES, "test");
            NDArray want = expected.load(manager, MediaTensors.PIXEL_VALUES, DataType.FLOAT32);
            assertEquals(want.getShape(), pixels.getShape(), "pixel_values' shape");
            float[] got = pixels.toFloatArray();
            float[] wanted = want.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(wanted[i], got[i], 1e-6, "pixel_values[" + i + "]");
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
        Path model = HfReference.fixture(LlavaPromptImagesTest.class, "mistral3");
        Path images = model.resolveSibling("mistral3-images");
        Mistral3Architecture architecture = new Mistral3Architecture(LlavaReferenceTest.languageModels());
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            int[] ids = {1, 17, 93, 5};
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

    private static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }
}
