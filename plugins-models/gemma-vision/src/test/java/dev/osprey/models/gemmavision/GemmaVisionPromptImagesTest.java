package dev.osprey.models.gemmavision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.reference.HfReference;
import dev.osprey.model.reference.PromptImagesReference;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.MediaProcessor;

/**
 * PaliGemma's and Gemma 3's prompt path against transformers (tools/make-vl-prompt-fixtures.py): two PNGs in a prompt
 * become the ids and pixel values of {@code PaliGemmaProcessor} (image tokens in place, BOS after the last, "\n" at
 * the end) and {@code Gemma3Processor} ("\n\n", {@code <start_of_image>}, soft tokens, {@code <end_of_image>},
 * "\n\n"; pan-and-scan off, and on in its own fixture), and the greedy tokens of {@code generate()}.
 */
class GemmaVisionPromptImagesTest {

    @Test
    void paliGemmaGivesTheProcessorsIdsPixelsAndGreedyTokens() throws IOException {
        check("paligemma", GemmaVisionReferenceTest.paliGemma(), "<image>", 152, 2, 108);
    }

    @Test
    void gemma3GivesTheProcessorsIdsPixelsAndGreedyTokens() throws IOException {
        check("gemma3-vision", GemmaVisionReferenceTest.gemma3(), "<start_of_image>", 150, 151, 152, 108);
    }

    /**
     * tools/make-gemma3-pan-and-scan-fixtures.py: a wide, a tall and a square picture with do_pan_and_scan on give
     * Gemma3Processor's ids (the crops' text and sequences), pixel values (each image, then its crops), the model's
     * logits at every position and its greedy tokens.
     */
    @Test
    void gemma3PanAndScanGivesTheProcessorsIdsPixelsLogitsAndGreedyTokens() throws IOException {
        Path model = HfReference.fixture(GemmaVisionPromptImagesTest.class, "gemma3-vision");
        Path images = model.resolveSibling("gemma3-pan-and-scan");
        GemmaVisionFamily architecture = GemmaVisionReferenceTest.gemma3();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            PromptImagesReference.check(images, hf, processor, manager, 150, 151, 152, 108);

            JsonNode ref =
                    new ObjectMapper().readTree(images.resolve("images.json").toFile());
            int[] promptIds = new ObjectMapper().treeToValue(ref.get("prompt_ids"), int[].class);
            List<MediaInput> media = new ArrayList<>();
            for (String name : List.of("wide.png", "tall.png", "square.png")) {
                media.add(new MediaInput(
                        ref.get("media_positions").get(media.size()).asInt(), ContentPart.image(name)));
            }
            MediaProcessor.Processed p = processor.process(
                    new EncodedPrompt(promptIds, promptIds.clone(), media), new MediaLoader(images), manager);
            assertEquals(
                    9,
                    p.media()
                            .require(MediaTensors.PIXEL_VALUES, "test")
                            .getShape()
                            .get(0),
                    "3 images, 6 crops");
            NDArray ids = manager.create(
                    Arrays.stream(p.inputIds()).asLongStream().toArray(), new Shape(1, p.inputIds().length));
            float[] logits = hf.model()
                    .forward(ForwardRequest.builder(ids).optMedia(p.media()).build())
                    .logits()
                    .toFloatArray();
            float[] want = WeightFiles.openFile(images.resolve("logits.safetensors"))
                    .load(manager, "logits", DataType.FLOAT32)
                    .toFloatArray();
            assertEquals(want.length, logits.length, "logits' size");
            double scale = 0;
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
                worst = Math.max(worst, Math.abs(want[i] - logits[i]));
            }
            assertTrue(
                    worst <= HfReference.RELATIVE_TOLERANCE * scale,
                    "logits differ from transformers' by " + worst + " (largest " + scale + ")");
        }
    }

    /**
     * The pan-and-scan fixture with pan-and-scan off in its processor config (and Gemma3Processor's default crop size)
     * gives transformers' ids, pixels and greedy tokens once the environment turns it on (DO_PAN_AND_SCAN,
     * PAN_AND_SCAN_MIN_CROP_SIZE, as the processor call's keyword arguments in the fixture's script), and the three
     * pictures alone without crops once DO_PAN_AND_SCAN=false turns the original config's off.
     */
    @Test
    void theEnvironmentTurnsGemma3PanAndScanOnOverTheProcessorConfig(@TempDir Path copy) throws IOException {
        Path model = HfReference.fixture(GemmaVisionPromptImagesTest.class, "gemma3-vision");
        Path images = model.resolveSibling("gemma3-pan-and-scan");
        try (var files = Files.list(images)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName().toString()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode)
                json.readTree(images.resolve("preprocessor_config.json").toFile());
        config.put("do_pan_and_scan", false);
        config.remove("pan_and_scan_min_crop_size");
        json.writeValue(copy.resolve("preprocessor_config.json").toFile(), config);

        GemmaVisionFamily architecture = GemmaVisionReferenceTest.gemma3();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            MediaProcessor on = new Gemma3MediaProcessor(
                    hf.config(), copy, Map.of("DO_PAN_AND_SCAN", "true", "PAN_AND_SCAN_MIN_CROP_SIZE", "8"));
            PromptImagesReference.check(copy, hf, on, manager, 150, 151, 152, 108);

            JsonNode ref = json.readTree(images.resolve("images.json").toFile());
            int[] promptIds = json.treeToValue(ref.get("prompt_ids"), int[].class);
            List<MediaInput> media = new ArrayList<>();
            for (String name : List.of("wide.png", "tall.png", "square.png")) {
                media.add(new MediaInput(
                        ref.get("media_positions").get(media.size()).asInt(), ContentPart.image(name)));
            }
            MediaProcessor off = new Gemma3MediaProcessor(hf.config(), images, Map.of("DO_PAN_AND_SCAN", "false"));
            MediaProcessor.Processed p = off.process(
                    new EncodedPrompt(promptIds, promptIds.clone(), media), new MediaLoader(images), manager);
            assertEquals(
                    3,
                    p.media()
                            .require(MediaTensors.PIXEL_VALUES, "test")
                            .getShape()
                            .get(0),
                    "3 images, no crops");
            // each image where its media part was: "\n\n", <start_of_image>, 4 soft tokens, <end_of_image>, "\n\n"
            int imageSequence = 8;
            assertEquals(promptIds.length + 3 * imageSequence, p.inputIds().length, "one sequence per image");
        }
    }

    private static void check(String name, DecoderFamily architecture, String placeholder, int... inserted)
            throws IOException {
        Path model = HfReference.fixture(GemmaVisionPromptImagesTest.class, name);
        Path images = model.resolveSibling(name + "-images");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf =
                        ModelLoader.load(model, c -> (ModelArchitecture) architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            assertEquals(Map.of("image", placeholder), processor.placeholders());
            PromptImagesReference.check(images, hf, processor, manager, inserted);
        }
    }
}
