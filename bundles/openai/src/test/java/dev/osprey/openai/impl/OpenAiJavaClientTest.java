package dev.osprey.openai.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;

/** The official OpenAI Java client (openai-java) against the server: what real clients see. */
class OpenAiJavaClientTest {

    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = new TestServer("tiny", name -> new TinySession("tiny", 11, 0));
        server.set("api_key", "sk-java");
        client = OpenAIOkHttpClient.builder()
                .baseUrl(server.base + "/v1")
                .apiKey("sk-java")
                .maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder()
                .model("tiny")
                .addUserMessage("hi")
                .maxCompletionTokens(6)
                .temperature(0.0);
    }

    @Test
    void chatStreamedAndNotAgree() {
        ChatCompletion whole = client.chat().completions().create(chat().build());
        String content = whole.choices().get(0).message().content().orElse("");
        assertTrue(whole.usage().isPresent());
        assertEquals("user:hi\nassistant:".length(), whole.usage().get().promptTokens());
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(chat().build())) {
            stream.stream()
                    .forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertEquals(content, streamed.toString());
    }

    @Test
    void completionsAndModels() {
        Completion c = client.completions()
                .create(CompletionCreateParams.builder()
                        .model("tiny")
                        .prompt("abc")
                        .maxTokens(4)
                        .temperature(0.0)
                        .n(2)
                        .build());
        assertEquals(2, c.choices().size());
        assertEquals(c.choices().get(0).text(), c.choices().get(1).text(), "greedy choices agree");
        List<Model> models = client.models().list().data();
        assertEquals("tiny", models.get(0).id());
    }

    @Test
    void errorsMapToTheClientsExceptions() {
        assertThrows(
                NotFoundException.class,
                () -> client.chat()
                        .completions()
                        .create(chat().model("gpt-nothing").build()));
        OpenAIClient wrong = OpenAIOkHttpClient.builder()
                .baseUrl(server.base + "/v1")
                .apiKey("sk-wrong")
                .maxRetries(0)
                .build();
        try {
            assertThrows(UnauthorizedException.class, () -> wrong.models().list());
        } finally {
            wrong.close();
        }
    }

    /** A whole answer that probed its client (leading spaces, no Content-Length) reads as any other. */
    @Test
    void aProbedWholeAnswerReadsNormally() throws Exception {
        try (TestServer slow = new TestServer(
                "tiny", name -> new TinySession("tiny", 11, 20), java.util.Map.of("disconnect_check_ms", "30"))) {
            OpenAIClient probed = OpenAIOkHttpClient.builder()
                    .baseUrl(slow.base + "/v1")
                    .apiKey("none")
                    .maxRetries(0)
                    .build();
            try {
                ChatCompletion whole = probed.chat()
                        .completions()
                        .create(chat().maxCompletionTokens(10).build());
                assertEquals(
                        client.chat()
                                .completions()
                                .create(chat().maxCompletionTokens(10).build())
                                .choices()
                                .get(0)
                                .message()
                                .content(),
                        whole.choices().get(0).message().content(),
                        "the same greedy answer as without probes");
            } finally {
                probed.close();
            }
        }
    }
}
