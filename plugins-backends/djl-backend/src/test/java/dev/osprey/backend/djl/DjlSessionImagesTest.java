package dev.osprey.backend.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.ServedModel;
import dev.osprey.models.qwenvl.Qwen2VlArchitecture;

/**
 * A chat request with images through the served tiny Qwen2-VL: its chat template's placeholders, the images as
 * data: URLs and as a local file, the prefill with their pixels, and transformers' greedy tokens for the same ids and
 * images (tools/make-qwen-vl-prompt-fixtures.py).
 */
class DjlSessionImagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("../../plugins-models/qwen-vl/src/test/resources/reference");

    static Path model;
    static JsonNode ref;

    /**
     * The tiny Qwen2-VL fixture's weights with the prompt fixture's processor, word-level tokenizer ({@code wN} is id
     * N, Qwen2-VL's special tokens at the fixture's ids) and a chat template that writes image parts as Qwen2-VL's.
     */
    @BeforeAll
    static void folder(@TempDir Path dir) throws Exception {
        model = dir;
        Path images = FIXTURES.resolve("qwen2-vl-images");
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(FIXTURES.resolve("qwen2-vl").resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        for (String f : List.of("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(images.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        ref = JSON.readTree(images.resolve("images.json").toFile());
    }

    static DjlSession open(Map<String, String> settings) throws Exception {
        return DjlSession.open(
                model,
                c -> new Qwen2VlArchitecture(),
                NDManager.newBaseManager(),
                new BackendOptions("tiny-vl", "tiny-vl", Map.of(), "cpu", settings),
                List.of());
    }

    /** The fixture's prompt: text, image a, text, image b, text; {@code a} and {@code b} as the references to send. */
    static Conversation conversation(String a, String b) {
        return Conversation.of(List.of(new ChatMessage(
                "user",
                List.of(
                        ContentPart.text("w1 w17"),
                        ContentPart.image(a),
                        ContentPart.text("w93 w5 w44"),
                        ContentPart.image(b),
                        ContentPart.text("w8 w61")),
                List.of(),
                "",
                "")));
    }

    static String dataUrl(String file) throws Exception {
        byte[] png = Files.readAllBytes(FIXTURES.resolve("qwen2-vl-images").resolve(file));
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }

    @Test
    void imagesInAChatGiveTransformersGreedyTokens() throws Exception {
        Path images = FIXTURES.resolve("qwen2-vl-images").toAbsolutePath().normalize();
        try (DjlSession session = open(Map.of("allowed_local_media_path", images.toString()))) {
            ServedModel served = session.models().get(0);
            assertTrue(served.accepts(ContentPart.IMAGE), "the served Qwen2-VL takes images: " + served.inputs());
            int[] expected = ints(ref.get("greedy").get("tokens"));
            // a data: URL and a file inside the allowed folder
            Collector c = new Collector();
            session.generate(
                    new GenerationRequest(
                            "img",
                            "tiny-vl",
                            conversation(dataUrl("a.png"), "b.png"),
                            null,
                            null,
                            SamplingParams.greedy(expected.length)),
                    c);
            c.await();
            assertNull(c.error, () -> "failed: " + c.error);
            assertEquals(ref.get("input_ids").size(), c.promptTokens, "the prompt counts its image tokens");
            assertArrayEquals(expected, c.tokens(), "transformers' greedy tokens for these ids and images");
        }
    }

    @Test
    void localFilesNeedAnAllowedFolderAndBadImagesAreNamed() throws Exception {
        try (DjlSession session = open(Map.of())) {
            Collector local = new Collector();
            session.generate(
                    new GenerationRequest(
                            "local", "tiny-vl", conversation("a.png", "b.png"), null, null, SamplingParams.greedy(2)),
                    local);
            local.await();
            assertInstanceOf(InvalidRequestException.class, local.error);
            assertTrue(local.error.getMessage().contains("allowed_local_media_path"), local.error.getMessage());

            Collector broken = new Collector();
            String notAnImage = "data:image/png;base64," + Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});
            session.generate(
                    new GenerationRequest(
                            "broken",
                            "tiny-vl",
                            conversation(dataUrl("a.png"), notAnImage),
                            null,
                            null,
                            SamplingParams.greedy(2)),
                    broken);
            broken.await();
            assertInstanceOf(InvalidRequestException.class, broken.error);
            assertTrue(broken.error.getMessage().contains("image"), broken.error.getMessage());
        }
    }
}
