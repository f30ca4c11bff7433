package dev.osprey.models.internvl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * InternVL's prompt path in both formats against its own code (tools/make-vl-prompt-fixtures.py): two PNGs (one of
 * 2 x 1 tiles and a thumbnail, one of a single tile) in a prompt become the ids, tiles and greedy tokens of
 * OpenGVLab's {@code load_image} + {@code chat()} for the chat format, and of transformers' {@code InternVLProcessor}
 * and {@code generate()} for the "-hf" format.
 */
class InternVlPromptImagesTest {

    private static final int IMG_START = 150;
    private static final int IMG_END = 151;
    private static final int IMG_CONTEXT = 152;

    @Test
    void chatFormatGivesOpenGvLabsIdsTilesAndGreedyTokens() throws IOException {
        check("internvl-chat", new InternVlChatArchitecture(InternVlReferenceTest.LANGUAGE_MODELS), "<image>");
    }

    @Test
    void hfFormatGivesTheProcessorsIdsTilesAndGreedyTokens() throws IOException {
        check("internvl-hf", new InternVlArchitecture(InternVlReferenceTest.LANGUAGE_MODELS), "<IMG_CONTEXT>");
    }

    @Test
    void aPromptWithoutImagesStaysAndAFolderWithoutTheImageTokensIsNamed(@TempDir Path empty) throws IOException {
        Path model = HfReference.fixture(InternVlPromptImagesTest.class, "internvl-chat");
        Path images = model.resolveSibling("internvl-chat-images");
        InternVlChatArchitecture architecture = new InternVlChatArchitecture(InternVlReferenceTest.LANGUAGE_MODELS);
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf = ModelLoader.load(model, c -> architecture, manager, DataType.FLOAT32)) {
            int[] ids = {1, 17, 93};
            MediaProcessor.Processed text = architecture
                    .mediaProcessor(hf.config(), images)
                    .process(new EncodedPrompt(ids, ids, List.of()), new MediaLoader(images), manager);
            assertArrayEquals(ids, text.inputIds());
            assertNull(text.media());
            Files.copy(images.resolve("a.png"), empty.resolve("a.png"));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> architecture
                            .mediaProcessor(hf.config(), empty)
                            .process(
                                    new EncodedPrompt(ids, ids, List.of(new MediaInput(1, ContentPart.image("a.png")))),
                                    new MediaLoader(empty),
                                    manager));
            assertTrue(e.getMessage().contains("'<img>' is in none of"), e.getMessage());
        }
    }

    private static void check(String name, DecoderFamily architecture, String placeholder) throws IOException {
        Path model = HfReference.fixture(InternVlPromptImagesTest.class, name);
        Path images = model.resolveSibling(name + "-images");
        try (NDManager manager = NDManager.newBaseManager();
                HfModel hf =
                        ModelLoader.load(model, c -> (ModelArchitecture) architecture, manager, DataType.FLOAT32)) {
            MediaProcessor processor = architecture.mediaProcessor(hf.config(), images);
            assertEquals(Map.of("image", placeholder), processor.placeholders());
            PromptImagesReference.check(images, hf, processor, manager, IMG_START, IMG_END, IMG_CONTEXT);
        }
    }
}
