package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one request may ask for and what all of them may hold, shown in /metrics; and a client that
 * goes away while a whole (not streamed) answer is generated stops its generation.
 */
class RequestLimitsTest {

    /** The value of the first /metrics sample starting with {@code prefix}, or NaN. */
    static double sample(String metrics, String prefix) {
        return metrics.lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(Double.NaN);
    }

    @Test
    void aClientThatLeavesAWholeAnswerStopsItsGeneration() throws Exception {
        // 100 ms per token: 50 tokens would take 5 s
        try (TestServer server =
                new TestServer("tiny", name -> new TinySession("tiny", 1, 100), Map.of("disconnect_check_ms", "200"))) {
            String body = "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":50}";
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(
                        ("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                                        + body.length() + "\r\n\r\n" + body)
                                .getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(600); // generating
            } // the client goes away without reading anything
            long deadline = System.currentTimeMillis() + 10_000;
            String metrics = "";
            while (System.currentTimeMillis() < deadline && !metrics.contains("finished_reason=\"cancelled\"")) {
                Thread.sleep(50);
                metrics = server.get("/metrics").body();
            }
            assertTrue(metrics.contains("finished_reason=\"cancelled\""), "the generation was cancelled:\n" + metrics);
            double generated = sample(metrics, "vllm:generation_tokens_total");
            assertTrue(generated < 25, "stopped well before max_tokens 50: generated " + generated);
        }
    }

    @Test
    void aWholeAnswerThatProbesItsClientIsStillValidJson() throws Exception {
        try (TestServer server =
                new TestServer("tiny", name -> new TinySession("tiny", 1, 20), Map.of("disconnect_check_ms", "50"))) {
            HttpResponse<String> r =
                    server.post("/v1/completions", "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":20}");
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith(" "), "probed at least once while generating");
            JsonNode body = Json.MAPPER.readTree(r.body());
            assertEquals("text_completion", body.get("object").asText());
        }
    }

    @Test
    void sequencesPerRequestAreCappedAndShownInMetrics() throws Exception {
        try (TestServer server = new TestServer("tiny", name -> new TinySession("tiny", 1, 0))) {
            StringBuilder prompts = new StringBuilder("[");
            for (int i = 0; i < 200; i++) {
                prompts.append(i == 0 ? "" : ",").append("\"abc\"");
            }
            HttpResponse<String> r =
                    server.post("/v1/completions", "{\"prompt\":" + prompts + "],\"n\":128,\"max_tokens\":1}");
            JsonNode error = BadRequestTest.error(r, 400);
            assertEquals("n", error.get("param").asText());
            assertTrue(
                    error.get("message").asText().contains("25600 sequences")
                            && error.get("message").asText().contains("max_sequences_per_request"),
                    error.toString());
            String metrics = server.get("/metrics").body();
            assertEquals(256, sample(metrics, "osprey:max_sequences_per_request{"), metrics);
            assertEquals(
                    1,
                    sample(metrics, "osprey:requests_refused_total{model_name=\"tiny\",reason=\"too_many_sequences\"}"),
                    metrics);
        }
    }

    @Test
    void queuedTokensAreCappedWith429WhenBusyAnd400WhenOneRequestIsTooLarge() throws Exception {
        // each request below holds prompt 3 + max_tokens 40 = 43 tokens of the 60
        try (TestServer server =
                new TestServer("tiny", name -> new TinySession("tiny", 1, 50), Map.of("max_queued_tokens", "60"))) {
            String request = "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":40}";
            JsonNode alone =
                    BadRequestTest.error(server.post("/v1/completions", request.replace("}", ",\"n\":2}")), 400);
            assertTrue(alone.get("message").asText().contains("max_queued_tokens"), alone.toString());
            CompletableFuture<HttpResponse<String>> first = server.client.sendAsync(
                    HttpRequest.newBuilder(URI.create(server.base + "/v1/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(request))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.currentTimeMillis() + 10_000;
            while (sample(server.get("/metrics").body(), "osprey:queued_tokens{") != 43
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            String metrics = server.get("/metrics").body();
            assertEquals(43, sample(metrics, "osprey:queued_tokens{"), metrics);
            assertEquals(60, sample(metrics, "osprey:max_queued_tokens{"), metrics);
            HttpResponse<String> busy = server.post("/v1/completions", request);
            JsonNode error = BadRequestTest.error(busy, 429);
            assertEquals("rate_limit_error", error.get("type").asText());
            assertEquals(200, first.get().statusCode());
            assertEquals(
                    0,
                    sample(server.get("/metrics").body(), "osprey:queued_tokens{"),
                    "given back when the request ended");
            assertEquals(200, server.post("/v1/completions", request).statusCode(), "room again");
        }
    }
}
