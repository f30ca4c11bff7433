package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/** The HTTP protocol of the server, byte for byte where it matters, over a real Jetty and a real model. */
class OpenAiProtocolTest {

    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer("tiny", name -> new TinySession("tiny", 7, 0));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    static String chat(String extra) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0" + extra
                + "}";
    }

    /** The data lines of an SSE body; fails unless every event is exactly {@code data: ...\n\n}. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        assertTrue(body.endsWith("data: [DONE]\n\n"), "the stream must end with data: [DONE]: " + body);
        for (String event : body.split("\n\n")) {
            assertTrue(event.startsWith("data: "), "not an SSE data event: '" + event + "'");
            assertFalse(event.substring(6).contains("\n"), "one line per event: " + event);
            out.add(event.substring(6));
        }
        return out;
    }

    @Test
    void modelsListTheBaseModelWithItsContextLength() throws Exception {
        JsonNode body = json(server.get("/v1/models"));
        assertEquals("list", body.get("object").asText());
        assertEquals("tiny", body.at("/data/0/id").asText());
        assertEquals(TinySession.CONTEXT, body.at("/data/0/max_model_len").asInt());
        assertTrue(body.at("/data/0/parent").isNull());
    }

    @Test
    void chatCompletionEqualsTheTextCompletionOfItsRenderedPrompt() throws Exception {
        HttpResponse<String> r = server.post("/v1/chat/completions", chat(",\"max_tokens\":6"));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("chat.completion", body.get("object").asText());
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        String content = body.at("/choices/0/message/content").asText();
        assertEquals("assistant", body.at("/choices/0/message/role").asText());
        int promptTokens = "user:hi\nassistant:".length();
        assertEquals(promptTokens, body.at("/usage/prompt_tokens").asInt());
        int completion = body.at("/usage/completion_tokens").asInt();
        assertTrue(completion >= 1 && completion <= 6, body.toString());
        assertEquals(promptTokens + completion, body.at("/usage/total_tokens").asInt());
        // the same prompt as text, greedy: the same continuation
        JsonNode text = json(server.post(
                "/v1/completions",
                "{\"model\":\"tiny\",\"prompt\":\"user:hi\\nassistant:\",\"temperature\":0,\"max_tokens\":6}"));
        assertEquals(content, text.at("/choices/0/text").asText());
        assertEquals(
                body.at("/choices/0/finish_reason").asText(),
                text.at("/choices/0/finish_reason").asText());
    }

    @Test
    void streamedChatIsSseChunksEndingWithDoneAndAddsUpToTheWholeAnswer() throws Exception {
        String whole = json(server.post("/v1/chat/completions", chat(",\"max_tokens\":8")))
                .at("/choices/0/message/content")
                .asText();
        HttpResponse<String> r = server.post(
                "/v1/chat/completions",
                chat(",\"max_tokens\":8,\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = events(r.body());
        assertEquals("[DONE]", data.get(data.size() - 1));
        JsonNode first = Json.MAPPER.readTree(data.get(0));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String d : data.subList(1, data.size() - 2)) {
            JsonNode c = Json.MAPPER.readTree(d);
            text.append(c.at("/choices/0/delta/content").asText(""));
            if (!c.at("/choices/0/finish_reason").isNull()) {
                finish = c.at("/choices/0/finish_reason").asText();
            }
        }
        assertEquals(whole, text.toString());
        assertTrue(finish != null, "a chunk carries the finish reason");
        JsonNode usage = Json.MAPPER.readTree(data.get(data.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(
                text.length() > 0 ? usage.at("/usage/completion_tokens").asInt() : 0,
                usage.at("/usage/completion_tokens").asInt());
        assertTrue(usage.at("/usage/completion_tokens").asInt() >= 1);
    }

    @Test
    void completionsEchoNChoicesAndStopStrings() throws Exception {
        JsonNode body = json(
                server.post(
                        "/v1/completions",
                        "{\"model\":\"tiny\",\"prompt\":\"abc\",\"echo\":true,\"n\":2,\"seed\":3,\"temperature\":1.0,\"max_tokens\":5}"));
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(2, body.get("choices").size());
        for (int i = 0; i < 2; i++) {
            assertEquals(i, body.at("/choices/" + i + "/index").asInt());
            assertTrue(body.at("/choices/" + i + "/text").asText().startsWith("abc"), body.toString());
        }
        assertEquals(3, body.at("/usage/prompt_tokens").asInt(), "a prompt counts once for n choices");
        // greedy text, then stop at a character it contains: the answer is cut before it
        String free = json(server.post("/v1/completions", "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":12}"))
                .at("/choices/0/text")
                .asText();
        String stop = free.length() > 3 ? free.substring(2, 4) : null;
        if (stop != null && !stop.isBlank()) {
            JsonNode cut = json(server.post(
                    "/v1/completions",
                    "{\"prompt\":\"abc\",\"temperature\":0,\"max_tokens\":12,\"stop\":["
                            + Json.MAPPER.writeValueAsString(stop) + "]}"));
            assertEquals(
                    free.substring(0, free.indexOf(stop)),
                    cut.at("/choices/0/text").asText());
            assertEquals("stop", cut.at("/choices/0/finish_reason").asText());
        }
    }

    @Test
    void streamedChoicesAreIndexedAndEachFinishes() throws Exception {
        HttpResponse<String> r = server.post(
                "/v1/completions",
                "{\"prompt\":[\"abc\",\"xyz\"],\"n\":2,\"temperature\":0,\"max_tokens\":4,\"stream\":true}");
        java.util.Map<Integer, StringBuilder> texts = new java.util.TreeMap<>();
        java.util.Set<Integer> finished = new java.util.TreeSet<>();
        for (String d : events(r.body())) {
            if (d.equals("[DONE]")) {
                continue;
            }
            JsonNode c = Json.MAPPER.readTree(d).at("/choices/0");
            texts.computeIfAbsent(c.get("index").asInt(), i -> new StringBuilder())
                    .append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) {
                finished.add(c.get("index").asInt());
            }
        }
        assertEquals(java.util.Set.of(0, 1, 2, 3), finished, "two prompts times n=2");
        assertEquals(texts.get(0).toString(), texts.get(1).toString(), "greedy choices of one prompt agree");
        JsonNode whole =
                json(server.post("/v1/completions", "{\"prompt\":\"xyz\",\"temperature\":0,\"max_tokens\":4}"));
        assertEquals(whole.at("/choices/0/text").asText(), texts.get(2).toString());
    }

    @Test
    void errorsHaveOpenAisShapeAndStatus() throws Exception {
        HttpResponse<String> penalty = server.post("/v1/completions", "{\"prompt\":\"a\",\"repetition_penalty\":0}");
        assertEquals(400, penalty.statusCode());
        assertEquals("repetition_penalty", json(penalty).at("/error/param").asText());

        HttpResponse<String> malformed = server.post("/v1/chat/completions", "{\"model\": ");
        assertEquals(400, malformed.statusCode());
        assertEquals("invalid_request_error", json(malformed).at("/error/type").asText());
        assertTrue(json(malformed).at("/error/message").asText().contains("not valid JSON"));

        HttpResponse<String> badField = server.post("/v1/chat/completions", chat(",\"top_p\":7"));
        assertEquals(400, badField.statusCode());
        assertEquals("top_p", json(badField).at("/error/param").asText());

        HttpResponse<String> unknown = server.post(
                "/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(404, unknown.statusCode());
        assertEquals("model_not_found", json(unknown).at("/error/code").asText());

        String longPrompt = "a".repeat(TinySession.CONTEXT + 5);
        HttpResponse<String> tooLong =
                server.post("/v1/completions", "{\"prompt\":\"" + longPrompt + "\",\"stream\":true}");
        assertEquals(400, tooLong.statusCode(), "a refused prompt gets 400 even when streaming");
        assertEquals("prompt", json(tooLong).at("/error/param").asText());
        assertTrue(json(tooLong).at("/error/message").asText().contains("maximum context length"));
    }

    @Test
    void apiKeyGuardsV1ButNotHealth() throws Exception {
        server.set("api_key", "sk-test");
        try {
            assertEquals(401, server.get("/v1/models").statusCode());
            HttpResponse<String> wrong =
                    server.send(HttpRequest.newBuilder(java.net.URI.create(server.base + "/v1/models"))
                            .header("Authorization", "Bearer sk-wrong")
                            .GET());
            assertEquals(401, wrong.statusCode());
            assertEquals("invalid_api_key", json(wrong).at("/error/code").asText());
            HttpResponse<String> right =
                    server.send(HttpRequest.newBuilder(java.net.URI.create(server.base + "/v1/models"))
                            .header("Authorization", "Bearer sk-test")
                            .GET());
            assertEquals(200, right.statusCode());
            assertEquals(200, server.get("/health").statusCode());
        } finally {
            server.set("api_key", null);
        }
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        JsonNode t = json(server.post("/tokenize", "{\"model\":\"tiny\",\"prompt\":\"hello world\"}"));
        assertEquals(11, t.get("count").asInt());
        assertEquals(TinySession.CONTEXT, t.get("max_model_len").asInt());
        JsonNode d = json(server.post("/detokenize", "{\"model\":\"tiny\",\"tokens\":" + t.get("tokens") + "}"));
        assertEquals("hello world", d.get("prompt").asText());
        JsonNode chat = json(server.post("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertEquals("user:hi\nassistant:".length(), chat.get("count").asInt());
    }

    @Test
    void metricsUseVllmNamesAndCountTokens() throws Exception {
        JsonNode body =
                json(server.post("/v1/completions", "{\"prompt\":\"abcd\",\"temperature\":0,\"max_tokens\":3}"));
        int completion = body.at("/usage/completion_tokens").asInt();
        HttpResponse<String> m = server.get("/metrics");
        assertEquals(200, m.statusCode());
        String text = m.body();
        // the worker leaves the running count just after the answer is sent
        for (int i = 0; i < 40 && !text.contains("vllm:num_requests_running{model_name=\"tiny\"} 0"); i++) {
            Thread.sleep(50);
            text = server.get("/metrics").body();
        }
        assertTrue(text.contains("vllm:num_requests_running{model_name=\"tiny\"} 0"), text);
        assertTrue(text.contains("vllm:num_requests_waiting{model_name=\"tiny\"}"), text);
        assertTrue(
                text.contains("# TYPE vllm:prompt_tokens_total counter")
                        || text.contains("# TYPE vllm:prompt_tokens counter"),
                text);
        assertTrue(text.contains("vllm:time_to_first_token_seconds_bucket{model_name=\"tiny\",le=\"0.001\"}"), text);
        assertTrue(text.contains("vllm:e2e_request_latency_seconds_count{model_name=\"tiny\"}"), text);
        assertTrue(completion > 0);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("vllm:generation_tokens_total{model_name=\"tiny\"}")), text);
    }
}
