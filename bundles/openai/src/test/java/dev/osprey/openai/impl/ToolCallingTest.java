package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.backend.djl.DjlSessions;

/**
 * Tools, tool_choice and thinking over HTTP against the real DJL backend on a tiny random model with a byte-level
 * tokenizer (one token per byte, so token counts show what the prompt holds): a named tool_choice prefills the
 * call's opening and answers with that call, whole and streamed; chat_template_kwargs and the server's
 * enable_thinking reach the template; a thinking budget writes {@code </think>} after its tokens; tool_choice errors
 * have OpenAI's shape.
 */
class ToolCallingTest {

    @TempDir
    static Path dir;

    static TestServer server;
    static TestServer noThinking;
    static TestServer react;

    static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"Weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":"
            + "{\"type\":\"string\"}}}}}]";
    static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]";
    static final String NAMED = "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}";

    @BeforeAll
    static void start() throws Exception {
        Path model = ByteLevelCheckpoint.model(dir.resolve("model"), 1024);
        server = new TestServer("djl", name -> DjlSessions.open(model, "tiny", Map.of(), Map.of()));
        noThinking = new TestServer(
                "djl", name -> DjlSessions.open(model, "tiny", Map.of(), Map.of("enable_thinking", "false")));
        react = new TestServer(
                "djl", name -> DjlSessions.open(model, "tiny", Map.of(), Map.of("agent_template", "react_en")));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        noThinking.close();
        react.close();
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode chat(TestServer s, String fields) throws Exception {
        return ok(s.post("/v1/chat/completions", "{\"model\":\"tiny\"," + MESSAGES + "," + fields + "}"));
    }

    static int promptTokens(TestServer s, String fields) throws Exception {
        return chat(s, fields + ",\"max_tokens\":1").at("/usage/prompt_tokens").asInt();
    }

    @Test
    void aNamedToolChoicePrefillsTheCallOpeningAndAnswersWithThatCall() throws Exception {
        JsonNode body = chat(server, TOOLS + "," + NAMED + ",\"temperature\":0,\"max_tokens\":12");
        JsonNode choice = body.at("/choices/0");
        JsonNode call = choice.at("/message/tool_calls/0");
        assertEquals("get_weather", call.at("/function/name").asText(), body.toString());
        assertEquals("function", call.get("type").asText());
        assertTrue(call.get("id").asText().startsWith("call_"), call.toString());
        assertTrue(call.at("/function/arguments").isTextual());
        assertTrue(choice.at("/message/content").isNull(), body.toString());
        assertEquals(1, choice.at("/message/tool_calls").size());
        assertTrue(List.of("tool_calls", "length")
                .contains(choice.get("finish_reason").asText()));
        // the prompt holds the end of the thinking its generation prompt opened and the call's opening: one token
        // per byte of them more than with tool_choice auto
        String opening = "\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ";
        assertEquals(
                opening.getBytes(StandardCharsets.UTF_8).length,
                promptTokens(server, TOOLS + "," + NAMED) - promptTokens(server, TOOLS + ",\"tool_choice\":\"auto\""));
        // tool_choice none leaves the tools out of the prompt
        assertTrue(promptTokens(server, TOOLS + ",\"tool_choice\":\"none\"") < promptTokens(server, TOOLS));
        assertEquals(
                promptTokens(server, "\"temperature\":0"), promptTokens(server, TOOLS + ",\"tool_choice\":\"none\""));
    }

    @Test
    void aStreamedNamedCallArrivesAsOpenAiStreamsCalls() throws Exception {
        String fields = TOOLS + "," + NAMED + ",\"temperature\":0,\"max_tokens\":12";
        JsonNode whole = chat(server, fields).at("/choices/0/message/tool_calls/0");
        HttpResponse<String> r = server.post(
                "/v1/chat/completions", "{\"model\":\"tiny\"," + MESSAGES + "," + fields + ",\"stream\":true}");
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> calls = new ArrayList<>();
        String finish = null;
        StringBuilder arguments = new StringBuilder();
        for (String event : r.body().split("\n\n")) {
            String data = event.substring("data: ".length());
            if (data.equals("[DONE]")) {
                continue;
            }
            JsonNode c = Json.MAPPER.readTree(data).at("/choices/0");
            for (JsonNode call : c.at("/delta/tool_calls")) {
                calls.add(call);
                arguments.append(call.at("/function/arguments").asText());
            }
            if (c.hasNonNull("finish_reason")) {
                finish = c.get("finish_reason").asText();
            }
        }
        assertEquals(1, calls.size(), r.body());
        JsonNode call = calls.get(0);
        assertEquals(0, call.get("index").asInt());
        assertTrue(call.get("id").asText().startsWith("call_"));
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.at("/function/name").asText());
        assertEquals(whole.at("/function/arguments").asText(), arguments.toString());
        assertTrue(List.of("tool_calls", "length").contains(finish), r.body());
    }

    @Test
    void chatTemplateKwargsAndTheServerSettingSwitchThinking() throws Exception {
        int emptyThinkBlock = "<think>\n\n</think>\n\n".length() - "<think>\n".length();
        int thinking = promptTokens(server, "\"temperature\":0");
        int off = promptTokens(server, "\"chat_template_kwargs\":{\"enable_thinking\":false}");
        assertEquals(emptyThinkBlock, off - thinking);
        // a server started with enable_thinking=false: off by default, on per request
        assertEquals(off, promptTokens(noThinking, "\"temperature\":0"));
        assertEquals(thinking, promptTokens(noThinking, "\"chat_template_kwargs\":{\"enable_thinking\":true}"));
    }

    @Test
    void aThinkingBudgetEndsTheThinkingAfterItsTokens() throws Exception {
        JsonNode body = chat(server, "\"temperature\":0,\"max_tokens\":24,\"thinking_budget\":4,\"logprobs\":true");
        JsonNode tokens = body.at("/choices/0/logprobs/content");
        // the completion's first 4 tokens are the model's, the next ones the end of thinking written in their place
        StringBuilder upTo = new StringBuilder();
        for (int i = 0; i < 4 + "\n</think>\n\n".length(); i++) {
            upTo.append(tokens.get(i).get("token").asText());
            if (i == 3) {
                assertFalse(upTo.toString().contains("<"), body.toString());
            }
        }
        assertTrue(upTo.toString().endsWith("\n</think>\n\n"), body.toString());
        JsonNode message = body.at("/choices/0/message");
        assertFalse(message.get("content").asText().contains("</think>"), message.toString());
        assertTrue(message.hasNonNull("reasoning_content"), message.toString());
        assertFalse(message.get("reasoning_content").asText().contains("</think>"), message.toString());
    }

    @Test
    void theAgentTemplateSettingWritesAndReadsTheToolsItsWay() throws Exception {
        // ReAct describes the tools in a system turn of its own words, and forces a call with "Action: NAME\n..."
        String opening = "\n</think>\n\nAction: get_weather\nAction Input: ";
        assertEquals(
                opening.length(),
                promptTokens(react, TOOLS + "," + NAMED) - promptTokens(react, TOOLS + ",\"tool_choice\":\"auto\""));
        assertTrue(promptTokens(react, TOOLS) > promptTokens(server, TOOLS) + 300, "ReAct's longer tool prompt");
        JsonNode call = chat(react, TOOLS + "," + NAMED + ",\"temperature\":0,\"max_tokens\":8")
                .at("/choices/0/message/tool_calls/0");
        assertEquals("get_weather", call.at("/function/name").asText(), call.toString());
    }

    @Test
    void toolChoiceErrorsNameTheParameter() throws Exception {
        for (String fields : List.of(
                TOOLS + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}",
                NAMED,
                TOOLS + ",\"tool_choice\":\"sometimes\"")) {
            HttpResponse<String> r =
                    server.post("/v1/chat/completions", "{\"model\":\"tiny\"," + MESSAGES + "," + fields + "}");
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = Json.MAPPER.readTree(r.body()).get("error");
            assertEquals("tool_choice", error.get("param").asText(), r.body());
            assertEquals("invalid_request_error", error.get("type").asText());
        }
    }
}
