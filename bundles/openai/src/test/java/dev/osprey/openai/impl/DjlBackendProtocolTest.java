package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.backend.djl.DjlSessions;
import dev.osprey.backend.djl.TinyCheckpoint;

/**
 * The server over the real built-in backend (DJL, continuous batching) on a tiny random Llama with a
 * word-level tokenizer, a ChatML template and a LoRA adapter: log probabilities in both OpenAI shapes,
 * adapters listed, loaded and unloaded at runtime, tokenize counts equal to usage.
 */
class DjlBackendProtocolTest {

    static final int CONTEXT = 64;

    @TempDir
    static Path dir;

    static Path adapter;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path model = TinyCheckpoint.model(dir.resolve("model"), 96, 64, 2, 4, 2, 128, CONTEXT);
        adapter = TinyCheckpoint.adapter(model, dir.resolve("adapter"), 4, 7);
        server = new TestServer(
                "djl",
                name -> DjlSessions.open(model, "tiny", Map.of("sql", adapter.toString()), Map.of("max_num_seqs", "4")),
                Map.of("adapter_roots", dir.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"w8 w9 w10\"}]";

    @Test
    void modelsListTheBaseAndItsAdapter() throws Exception {
        JsonNode data = json(server.get("/v1/models")).get("data");
        assertEquals("tiny", data.get(0).get("id").asText());
        assertEquals(CONTEXT, data.get(0).get("max_model_len").asInt());
        JsonNode sql = null;
        for (JsonNode m : data) {
            if (m.get("id").asText().equals("sql")) {
                sql = m;
            }
        }
        assertTrue(sql != null, data.toString());
        assertEquals("tiny", sql.get("parent").asText());
    }

    @Test
    void chatLogprobsHaveTheChatShape() throws Exception {
        JsonNode body = json(server.post(
                "/v1/chat/completions",
                "{\"model\":\"tiny\"," + MESSAGES
                        + ",\"temperature\":0,\"max_tokens\":4,\"logprobs\":true,\"top_logprobs\":3}"));
        JsonNode content = body.at("/choices/0/logprobs/content");
        int completion = body.at("/usage/completion_tokens").asInt();
        assertEquals(completion, content.size(), body.toString());
        for (JsonNode t : content) {
            assertTrue(t.get("token").isTextual());
            assertTrue(t.get("logprob").asDouble() <= 0);
            assertTrue(t.get("bytes").isArray());
            JsonNode top = t.get("top_logprobs");
            assertEquals(3, top.size(), t.toString());
            // greedy: the chosen token is the most likely one
            assertEquals(top.get(0).get("logprob").asDouble(), t.get("logprob").asDouble(), 1e-4, t.toString());
        }
        JsonNode tokenized = json(server.post("/tokenize", "{\"model\":\"tiny\"," + MESSAGES + "}"));
        assertEquals(
                body.at("/usage/prompt_tokens").asInt(), tokenized.get("count").asInt());
    }

    @Test
    void completionLogprobsHaveTheCompletionsShape() throws Exception {
        JsonNode body = json(server.post(
                "/v1/completions",
                "{\"model\":\"tiny\",\"prompt\":\"w8 w9\",\"temperature\":0,\"max_tokens\":5,\"logprobs\":2}"));
        JsonNode lp = body.at("/choices/0/logprobs");
        int n = body.at("/usage/completion_tokens").asInt();
        for (String field : List.of("tokens", "token_logprobs", "top_logprobs", "text_offset")) {
            assertEquals(n, lp.get(field).size(), field + " in " + lp);
        }
        for (int i = 0; i < n; i++) {
            assertTrue(
                    lp.get("top_logprobs").get(i).size() >= 1
                            && lp.get("top_logprobs").get(i).size() <= 2,
                    lp.toString());
            assertTrue(lp.get("token_logprobs").get(i).asDouble() <= 0);
        }
        for (int i = 1; i < n; i++) {
            assertTrue(lp.get("text_offset").get(i).asInt()
                    >= lp.get("text_offset").get(i - 1).asInt());
        }
    }

    @Test
    void streamedAndWholeChatAgreeOnBaseAndAdapter() throws Exception {
        for (String model : List.of("tiny", "sql")) {
            String request = "{\"model\":\"" + model + "\"," + MESSAGES + ",\"temperature\":0,\"max_tokens\":6";
            String whole = json(server.post("/v1/chat/completions", request + "}"))
                    .at("/choices/0/message/content")
                    .asText();
            HttpResponse<String> r = server.post("/v1/chat/completions", request + ",\"stream\":true}");
            StringBuilder text = new StringBuilder();
            for (String d : OpenAiProtocolTest.events(r.body())) {
                if (!d.equals("[DONE]")) {
                    JsonNode c = Json.MAPPER.readTree(d);
                    assertEquals(model, c.get("model").asText());
                    text.append(c.at("/choices/0/delta/content").asText(""));
                }
            }
            assertEquals(whole, text.toString(), model);
        }
    }

    @Test
    void adaptersLoadAndUnloadAtRuntime() throws Exception {
        HttpResponse<String> load = server.post(
                "/v1/load_lora_adapter",
                "{\"lora_name\":\"sql2\",\"lora_path\":" + Json.MAPPER.writeValueAsString(adapter.toString()) + "}");
        assertEquals(200, load.statusCode(), load.body());
        assertTrue(load.body().contains("sql2"));
        assertTrue(server.get("/v1/models").body().contains("\"sql2\""));
        json(server.post("/v1/completions", "{\"model\":\"sql2\",\"prompt\":\"w8\",\"max_tokens\":2}"));
        assertEquals(
                200,
                server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"sql2\"}")
                        .statusCode());
        assertTrue(!server.get("/v1/models").body().contains("\"sql2\""));
        assertEquals(
                404,
                server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"sql2\"}")
                        .statusCode());
        assertEquals(
                404,
                server.post("/v1/completions", "{\"model\":\"sql2\",\"prompt\":\"w8\"}")
                        .statusCode());
    }

    @Test
    void promptBeyondTheContextIs400NamingTheField() throws Exception {
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < CONTEXT + 4; i++) {
            words.append(" w").append(8 + i % 80);
        }
        HttpResponse<String> r =
                server.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"" + words + "\",\"max_tokens\":2}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("param").isTextual(), r.body());
        assertTrue(server.get("/metrics").body().contains("vllm:num_requests_running{model_name=\"tiny\"}"));
    }
}
