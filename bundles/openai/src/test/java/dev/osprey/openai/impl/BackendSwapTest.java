package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Swapping the backend of a running server loses no request, and a client that disconnects cancels
 * its generation. The sessions pause 20 ms per token so requests stay in flight long enough to overlap.
 */
class BackendSwapTest {

    @Test
    void swapRoutesNewRequestsToTheNewBackendAndLetsRequestsInFlightFinish() throws Exception {
        try (TestServer server = new TestServer(
                "tiny-a",
                name -> name.startsWith("tiny-") ? new TinySession("tiny", name.equals("tiny-a") ? 1 : 2, 20) : null)) {
            // a long streamed request on backend a
            CompletableFuture<HttpResponse<String>> inFlight = server.client.sendAsync(
                    HttpRequest.newBuilder(URI.create(server.base + "/v1/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":40,\"stream\":true}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            TinySession a = (TinySession) server.opened.get("tiny-a");
            long deadline = System.currentTimeMillis() + 10_000;
            while (a.stats().get().running() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, a.stats().get().running(), "the request is generating on backend a");

            HttpResponse<String> swap = server.post("/v1/admin/backend", "{\"backend\":\"tiny-b\"}");
            assertEquals(200, swap.statusCode(), swap.body());
            assertEquals(
                    "tiny-b", Json.MAPPER.readTree(swap.body()).get("backend").asText());
            assertFalse(a.isClosed(), "backend a stays open while its request is in flight");

            // a new request is served by backend b while a still finishes its own
            HttpResponse<String> fresh =
                    server.post("/v1/completions", "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":2}");
            assertEquals(200, fresh.statusCode(), fresh.body());
            TinySession b = (TinySession) server.opened.get("tiny-b");
            assertTrue(b.stats().isPresent());

            HttpResponse<String> finished = inFlight.get();
            assertEquals(200, finished.statusCode());
            List<String> data = OpenAiProtocolTest.events(finished.body());
            JsonNode last = Json.MAPPER.readTree(data.get(data.size() - 2));
            assertTrue(
                    List.of("stop", "length")
                            .contains(last.at("/choices/0/finish_reason").asText()),
                    finished.body());
            assertFalse(finished.body().contains("\"error\""), finished.body());

            deadline = System.currentTimeMillis() + 10_000;
            while (!a.isClosed() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(a.isClosed(), "backend a is closed once its last request is done");
            assertFalse(b.isClosed());

            HttpResponse<String> unknown = server.post("/v1/admin/backend", "{\"backend\":\"nope\"}");
            assertEquals(400, unknown.statusCode());
            assertEquals(
                    "tiny-b",
                    Json.MAPPER
                            .readTree(server.get("/v1/admin/backend").body())
                            .get("backend")
                            .asText(),
                    "a failed swap keeps the backend serving");
        }
    }

    @Test
    void clientDisconnectCancelsTheGeneration() throws Exception {
        try (TestServer server = new TestServer("tiny", name -> new TinySession("tiny", 1, 20))) {
            TinySession session = (TinySession) server.opened.get("tiny");
            String body = "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":60,\"stream\":true}";
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(
                        ("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                                .getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = socket.getInputStream();
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                String line;
                int dataLines = 0;
                while ((line = reader.readLine()) != null && dataLines < 2) {
                    if (line.startsWith("data: ")) {
                        dataLines++;
                    }
                }
                assertEquals(2, dataLines, "the stream started");
            } // the client goes away mid-stream
            long deadline = System.currentTimeMillis() + 10_000;
            String metrics = "";
            while (System.currentTimeMillis() < deadline) {
                metrics = server.get("/metrics").body();
                if (metrics.contains("finished_reason=\"cancelled\"")) {
                    break;
                }
                Thread.sleep(50);
            }
            assertTrue(
                    metrics.lines()
                            .anyMatch(
                                    l -> l.startsWith("vllm:request_success_total{finished_reason=\"cancelled\"")
                                            || l.startsWith(
                                                    "vllm:request_success_total{model_name=\"tiny\",finished_reason=\"cancelled\"}")),
                    metrics);
            for (int i = 0; i < 40 && session.stats().get().running() > 0; i++) {
                Thread.sleep(50); // the worker leaves the running count just after it reports the cancel
            }
            assertEquals(0, session.stats().get().running(), "nothing is generating after the cancel");
            // generation stopped early: far fewer than 60 tokens were produced
            double generated = metrics.lines()
                    .filter(l -> l.startsWith("vllm:generation_tokens_total"))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
            assertTrue(generated < 60, "generated " + generated);
        }
    }
}
