package dev.osprey.itest;

import static dev.osprey.itest.JsonHttp.JSON;
import static dev.osprey.itest.JsonHttp.get;
import static dev.osprey.itest.JsonHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Videos through a real {@code osprey deploy} of the demo's Qwen2-VL-shaped {@code demo/tiny-vl}: OpenAI-style
 * {@code video_url} parts (as vLLM and ms-swift take them) holding a small H.264 MP4 (the qwen-vl fixtures' clip.mp4,
 * 20 frames of 80x64 at 10 fps) as a {@code data:} URL and as a local file inside {@code allowed_local_media_path}
 * get an answer whose usage counts the video's tokens; a broken video, a file outside the allowed folder and a
 * video for a text-only model are 400s naming them.
 */
class VideoDeployTest {

    static final Path CLIP =
            TestPlatform.root().resolve("plugins-models/qwen-vl/src/test/resources/reference/qwen-vl-video/clip.mp4");

    /**
     * The clip's tokens with ms-swift's environment below: 20 frames at 10 fps sampled at FPS=2 keep 4 frames (2
     * temporal groups), each resized to 32x48 (VIDEO_MIN_PIXELS 2304, at most max(2304, 1.05 x 2304) pixels, a
     * multiple of patch 8 x merge 2), 4x6 patches merged 2x2: 6 tokens a group, 12 in all.
     */
    static final int CLIP_TOKENS = 12;

    @TempDir
    static Path home;

    @TempDir
    static Path media;

    static ChildProcess deploy;
    static String api;

    @BeforeAll
    static void deployTinyVl() throws Exception {
        DistributionCliTest.layOutHome(home);
        Files.copy(CLIP, media.resolve("clip.mp4"));
        int port = TestPlatform.freePort();
        api = "http://127.0.0.1:" + port;
        ProcessBuilder builder = new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        home.resolve("demo/tiny-vl").toString(),
                        "--served_model_name",
                        "tiny-vl",
                        "--port",
                        Integer.toString(port),
                        "--setting",
                        "allowed_local_media_path=" + media)
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("deploy.log").toFile());
        // ms-swift's qwen-vl-utils settings: frames small enough for the tiny model's 512 positions
        builder.environment().putAll(Map.of("VIDEO_MIN_PIXELS", "2304", "VIDEO_MAX_PIXELS", "2304", "FPS", "2"));
        deploy = ChildProcess.start(builder);
        assertNotNull(
                TestPlatform.waitFor(120_000, () -> get(api + "/health")), () -> "deploy did not start:\n" + log());
    }

    @AfterAll
    static void stop() throws Exception {
        if (deploy != null) {
            deploy.stop(Duration.ofSeconds(20));
        }
    }

    static String log() {
        try {
            return Files.readString(home.resolve("deploy.log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    static HttpResponse<String> chat(List<Map<String, Object>> content) throws Exception {
        Map<String, Object> body = Map.of(
                "model",
                "tiny-vl",
                "temperature",
                0,
                "max_tokens",
                4,
                "messages",
                List.of(Map.of("role", "user", "content", content)));
        return send(HttpRequest.newBuilder(URI.create(api + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    static Map<String, Object> video(String url) {
        return Map.of("type", "video_url", "video_url", Map.of("url", url));
    }

    static Map<String, Object> text(String text) {
        return Map.of("type", "text", "text", text);
    }

    static String dataUrl(byte[] bytes) {
        return "data:video/mp4;base64," + Base64.getEncoder().encodeToString(bytes);
    }

    @Test
    void aVideoUrlPartIsAnsweredAndItsTokensCountInUsage() throws Exception {
        JsonNode models = JSON.readTree(get(api + "/v1/models"));
        assertTrue(models.at("/data/0/input_modalities").toString().contains("\"video\""), models.toString());
        HttpResponse<String> textOnly = chat(List.of(text("what colour is the shape ?")));
        assertEquals(200, textOnly.statusCode(), textOnly.body());
        int textTokens =
                JSON.readTree(textOnly.body()).at("/usage/prompt_tokens").asInt();

        String clip = dataUrl(Files.readAllBytes(CLIP));
        HttpResponse<String> r = chat(List.of(video(clip), text("what colour is the shape ?")));
        assertEquals(200, r.statusCode(), r.body() + "\n" + log());
        JsonNode answer = JSON.readTree(r.body());
        assertFalse(answer.at("/choices/0/message/content").asText().isBlank(), r.body());
        assertEquals(4, answer.at("/usage/completion_tokens").asInt(), r.body());
        // <|vision_start|>, the clip's <|video_pad|> tokens, <|vision_end|>
        assertEquals(
                textTokens + 2 + CLIP_TOKENS, answer.at("/usage/prompt_tokens").asInt(), r.body());

        // the same file inside allowed_local_media_path, by absolute path and relative to it: the same prompt
        for (String local : List.of(media.resolve("clip.mp4").toString(), "clip.mp4")) {
            HttpResponse<String> file = chat(List.of(video(local), text("what colour is the shape ?")));
            assertEquals(200, file.statusCode(), local + ": " + file.body());
            JsonNode fileAnswer = JSON.readTree(file.body());
            assertEquals(
                    answer.at("/usage/prompt_tokens").asInt(),
                    fileAnswer.at("/usage/prompt_tokens").asInt(),
                    file.body());
            assertEquals(
                    answer.at("/choices/0/message/content").asText(),
                    fileAnswer.at("/choices/0/message/content").asText(),
                    "greedy answers to the same video");
        }
    }

    @Test
    void aBrokenVideoAndAFileOutsideTheAllowedFolderAre400sNamingThem() throws Exception {
        HttpResponse<String> broken =
                chat(List.of(video(dataUrl("not a video".getBytes())), text("what colour is the shape ?")));
        assertEquals(400, broken.statusCode(), broken.body());
        JsonNode error = JSON.readTree(broken.body()).get("error");
        assertTrue(error.get("message").asText().contains("video 1 of the prompt"), broken.body());
        assertEquals("messages", error.get("param").asText(), broken.body());

        Path outside = Files.copy(CLIP, home.resolve("outside.mp4"));
        HttpResponse<String> refused = chat(List.of(video(outside.toString()), text("what colour is the shape ?")));
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("outside.mp4") && refused.body().contains("allowed"), refused.body());

        HttpResponse<String> missing =
                chat(List.of(video(media.resolve("nope.mp4").toString()), text("what colour is the shape ?")));
        assertEquals(400, missing.statusCode(), missing.body());
        assertTrue(missing.body().contains("nope.mp4"), missing.body());
        // the server still answers afterwards
        assertEquals(200, chat(List.of(text("what colour is the shape ?"))).statusCode());
    }
}
