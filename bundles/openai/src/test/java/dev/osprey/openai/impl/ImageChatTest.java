package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.backend.djl.DjlSessions;
import dev.osprey.models.qwenvl.Qwen2VlArchitecture;

/**
 * {@code /v1/chat/completions} with {@code image_url} parts over the real DJL backend on the tiny Qwen2-VL (the
 * prompt fixture of tools/make-qwen-vl-prompt-fixtures.py): the images as {@code data:} URLs give transformers'
 * greedy tokens and count in usage; {@code /v1/models} says the model reads images.
 */
class ImageChatTest {

    private static final Path REFERENCE = Path.of("../../plugins-models/qwen-vl/src/test/resources/reference");

    @TempDir
    static Path dir;

    static TestServer server;
    static JsonNode ref;

    @BeforeAll
    static void start() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(REFERENCE.resolve("qwen2-vl").resolve(f), model.resolve(f));
        }
        for (String f : List.of("preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(REFERENCE.resolve("qwen2-vl-images").resolve(f), model.resolve(f));
        }
        ref = Json.MAPPER.readTree(
                REFERENCE.resolve("qwen2-vl-images/images.json").toFile());
        server = new TestServer(
                "djl",
                name -> DjlSessions.open(model, c -> new Qwen2VlArchitecture(), "tiny-vl", Map.of(), Map.of()),
                Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static String dataUrl(String file) throws Exception {
        byte[] png = Files.readAllBytes(REFERENCE.resolve("qwen2-vl-images").resolve(file));
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    @Test
    void imageUrlPartsGiveTransformersGreedyTokens() throws Exception {
        JsonNode models = Json.MAPPER.readTree(server.get("/v1/models").body());
        assertEquals(
                "[\"image\",\"text\",\"video\"]",
                models.at("/data/0/input_modalities").toString(),
                models.toString());
        String body = "{\"model\":\"tiny-vl\",\"temperature\":0,\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"w1 w17\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + dataUrl("a.png") + "\"}},"
                + "{\"type\":\"text\",\"text\":\"w93 w5 w44\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + dataUrl("b.png") + "\"}},"
                + "{\"type\":\"text\",\"text\":\"w8 w61\"}]}]}";
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode answer = Json.MAPPER.readTree(r.body());
        StringJoiner expected = new StringJoiner(" ");
        ref.get("greedy").get("tokens").forEach(t -> expected.add("w" + t.asInt()));
        assertEquals(
                expected.toString(),
                answer.at("/choices/0/message/content").asText().trim(),
                r.body());
        assertEquals(
                ref.get("input_ids").size(), answer.at("/usage/prompt_tokens").asInt(), r.body());
    }

    @Test
    void aLocalFileIsRefusedWithoutAnAllowedFolder() throws Exception {
        String body = "{\"model\":\"tiny-vl\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"/etc/passwd\"}}]}]}";
        HttpResponse<String> r = server.post("/v1/chat/completions", body);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("allowed_local_media_path"), r.body());
    }
}
