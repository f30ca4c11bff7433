package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.backend.remote.impl.RemoteBackend;
import dev.osprey.backend.remote.impl.VllmBackend;

/**
 * The {@code remote} backend against a real OpenAI-compatible server (this one, serving a tiny model):
 * a second server forwarding through it answers exactly as the first, streamed or not, errors included.
 */
class RemoteChainTest {

    static TestServer upstream;
    static TestServer front;

    @BeforeAll
    static void start() throws Exception {
        upstream = new TestServer("tiny", name -> new TinySession("tiny", 5, 0));
        front = new TestServer("remote", name -> {
            try {
                return new RemoteBackend()
                        .open(new BackendOptions(
                                "tiny", "tiny", Map.of(), "cpu", Map.of("base_url", upstream.base + "/v1")));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        front.close();
        upstream.close();
    }

    @Test
    void forwardsModelsCompletionsAndStreams() throws Exception {
        JsonNode models = OpenAiProtocolTest.json(front.get("/v1/models"));
        assertEquals("tiny", models.at("/data/0/id").asText());
        assertEquals(TinySession.CONTEXT, models.at("/data/0/max_model_len").asInt());

        String chat = OpenAiProtocolTest.chat(",\"max_tokens\":7");
        JsonNode direct = OpenAiProtocolTest.json(upstream.post("/v1/chat/completions", chat));
        JsonNode forwarded = OpenAiProtocolTest.json(front.post("/v1/chat/completions", chat));
        assertEquals(
                direct.at("/choices/0/message/content").asText(),
                forwarded.at("/choices/0/message/content").asText());
        assertEquals(direct.at("/usage"), forwarded.at("/usage"));

        HttpResponse<String> stream = front.post(
                "/v1/completions", "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":9,\"stream\":true}");
        StringBuilder text = new StringBuilder();
        for (String d : OpenAiProtocolTest.events(stream.body())) {
            if (!d.equals("[DONE]")) {
                text.append(Json.MAPPER.readTree(d).at("/choices/0/text").asText(""));
            }
        }
        String expected = OpenAiProtocolTest.json(
                        upstream.post("/v1/completions", "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":9}"))
                .at("/choices/0/text")
                .asText();
        assertEquals(expected, text.toString());

        JsonNode ids = OpenAiProtocolTest.json(front.post("/tokenize", "{\"prompt\":\"hello\"}"));
        assertEquals(5, ids.get("count").asInt());
    }

    @Test
    void upstreamRefusalsKeepTheirStatusAndParam() throws Exception {
        HttpResponse<String> tooLong = front.post(
                "/v1/completions", "{\"prompt\":\"" + "a".repeat(TinySession.CONTEXT + 1) + "\",\"max_tokens\":2}");
        assertEquals(400, tooLong.statusCode(), tooLong.body());
        assertEquals(
                "prompt", OpenAiProtocolTest.json(tooLong).at("/error/param").asText());
    }

    @Test
    void anUpstreamThatDiesMidStreamEndsTheStreamWithAnErrorEvent() throws Exception {
        TestServer dying = new TestServer("tiny", name -> new TinySession("tiny", 5, 30));
        try (TestServer relay = new TestServer("remote", name -> {
            try {
                return new RemoteBackend()
                        .open(new BackendOptions("tiny", "tiny", Map.of(), "cpu", Map.of("base_url", dying.base)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })) {
            java.util.concurrent.CompletableFuture<HttpResponse<String>> stream = relay.client.sendAsync(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(relay.base + "/v1/completions"))
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":50,\"stream\":true}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            // a few tokens are through: counted by the upstream (its inter-token latencies), not guessed from a sleep
            long deadline = System.currentTimeMillis() + 10_000;
            while (!(RequestLimitsTest.sample(dying.get("/metrics").body(), "vllm:inter_token_latency_seconds_count{")
                            >= 4)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            dying.close(); // the upstream goes away mid-stream
            HttpResponse<String> r = stream.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            List<String> data = OpenAiProtocolTest.events(r.body());
            assertEquals("[DONE]", data.get(data.size() - 1));
            JsonNode error = Json.MAPPER.readTree(data.get(data.size() - 2)).get("error");
            assertTrue(error != null && error.get("message").asText().contains(dying.base), r.body());
            assertTrue(data.size() > 3, "some text came before the failure: " + r.body());
        }
    }

    @Test
    void missingProgramOrAddressIsNamed() {
        Exception noUrl = assertThrows(
                IllegalArgumentException.class,
                () -> new RemoteBackend().open(new BackendOptions("m", "", Map.of(), "cpu", Map.of())));
        assertTrue(noUrl.getMessage().contains("base_url"), noUrl.getMessage());
        Exception noProgram = assertThrows(
                IllegalArgumentException.class,
                () -> new VllmBackend()
                        .open(new BackendOptions(
                                "m", "", Map.of(), "cpu", Map.of("executable", "osprey-no-such-vllm"))));
        assertTrue(
                noProgram.getMessage().contains("`osprey-no-such-vllm`, which is not on PATH"), noProgram.getMessage());
        assertEquals(List.of("remote", "vllm"), List.of(new RemoteBackend().name(), new VllmBackend().name()));
    }

    @Test
    void anUpstreamThatIsDownIs502NamingIt() throws Exception {
        TestServer gone = new TestServer("tiny", name -> new TinySession("tiny", 5, 0));
        try (TestServer relay = new TestServer(
                "remote",
                name -> new RemoteBackend()
                        .open(new BackendOptions("tiny", "tiny", Map.of(), "cpu", Map.of("base_url", gone.base))))) {
            gone.close();
            for (String path : List.of("/v1/completions", "/tokenize")) {
                HttpResponse<String> r = relay.post(path, "{\"prompt\":\"abc\",\"max_tokens\":2}");
                JsonNode error = BadRequestTest.error(r, 502);
                assertTrue(error.get("message").asText().contains(gone.base), r.body());
                assertTrue(!error.get("message").asText().contains("null"), r.body());
            }
        }
    }

    @Test
    void swappingToAnUninstalledServerIs400NamingTheProgram() throws Exception {
        try (TestServer server = new TestServer("tiny", name -> switch (name) {
            case "tiny" -> new TinySession("tiny", 5, 0);
            case "vllm" ->
                new VllmBackend()
                        .open(new BackendOptions(
                                "tiny", "tiny", Map.of(), "cpu", Map.of("executable", "osprey-no-such-vllm")));
            default -> null;
        })) {
            HttpResponse<String> r = server.post("/v1/admin/backend", "{\"backend\":\"vllm\"}");
            JsonNode error = BadRequestTest.error(r, 400);
            assertTrue(error.get("message").asText().contains("`osprey-no-such-vllm`, which is not on PATH"), r.body());
            assertEquals("backend", error.get("param").asText());
            assertEquals(200, server.get("/health").statusCode(), "still serving on the old backend");
        }
    }
}
