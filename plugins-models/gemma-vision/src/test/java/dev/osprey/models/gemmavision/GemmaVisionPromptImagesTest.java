package dev.osprey.models.gemmavision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.ModelArchitecture;
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
 * "\n\n"; pan-and-scan off), and the greedy tokens of {@code generate()}.
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

    @Test
    void paliGemmaRefusesATrainingRowWithImages() throws IOException {
        Path model = HfReference.fixture(GemmaVisionPromptImagesTest.class, "paligemma");
        Path images = model.resolveSibling("paligemma-images");
        GemmaVisionFamily architecture = GemmaVisionReferenceTest.paliGemma();
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            int ignore = EncodedPrompt.IGNORE_INDEX;
            // <image> w93 w5 | w8 <eos>: the prompt unlabelled, the answer labelled
            int[] ids = {93, 5, 8, 1};
            int[] labels = {ignore, ignore, 8, 1};
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> architecture
                            .mediaProcessor(hf.config(), images)
                            .process(
                                    new EncodedPrompt(
                                            ids, labels, List.of(new MediaInput(0, ContentPart.image("a.png")))),
                                    new MediaLoader(images),
                                    manager));
            assertTrue(e.getMessage().contains("training rows with images are not supported yet"), e.getMessage());
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
