package dev.osprey.eval.impl;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Completions from an OpenAI-compatible server ({@code --eval_url}: another Osprey, vLLM, SGLang...): one {@code POST
 * /completions} per prompt with the benchmark's prompt text, sampling settings and stop strings, the prompts of one
 * call sent concurrently. A refused request fails the evaluation with the server's own error message.
 */
final class RemoteCompletions implements CompletionSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final URI completions;
    private final String apiKey;
    private final Map<String, Object> body;

    /**
     * @param baseUrl the API's base, e.g. {@code http://127.0.0.1:8000/v1}
     * @param model the served model's name
     * @param settings EvalScope's generation config (max_tokens, temperature, top_p, top_k, seed)
     */
    RemoteCompletions(String baseUrl, String model, String apiKey, JsonNode settings, List<String> stops) {
        this.completions = URI.create(baseUrl.replaceAll("/+$", "") + "/completions");
        this.apiKey = apiKey;
        body = new LinkedHashMap<>();
        body.put("model", model);
        body.put(
                "max_tokens",
                settings.path("max_tokens")
                        .asInt(settings.path("max_new_tokens").asInt(512)));
        body.put("temperature", settings.path("temperature").asDouble(0));
        body.put("top_p", settings.path("top_p").asDouble(1.0));
        if (settings.has("top_k")) {
            body.put("top_k", settings.path("top_k").asInt());
        }
        if (settings.has("seed")) {
            body.put("seed", settings.path("seed").asLong());
        }
        body.put("stop", stops);
    }

    @Override
    public List<String> complete(List<String> prompts) throws IOException, InterruptedException {
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (String prompt : prompts) {
            Map<String, Object> request = new LinkedHashMap<>(body);
            request.put("prompt", prompt);
            HttpRequest.Builder post = HttpRequest.newBuilder(completions)
                    .timeout(Duration.ofMinutes(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)));
            if (!apiKey.isEmpty()) {
                post.header("Authorization", "Bearer " + apiKey);
            }
            pending.add(http.sendAsync(post.build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<String> texts = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> future : pending) {
            HttpResponse<String> response;
            try {
                response = future.get();
            } catch (ExecutionException e) {
                throw new IOException(completions + ": " + e.getCause().getMessage(), e.getCause());
            }
            JsonNode reply = JSON.readTree(response.body());
            if (response.statusCode() != 200) {
                throw new IOException(completions + " answered " + response.statusCode() + ": "
                        + reply.at("/error/message").asText(response.body()));
            }
            // the text continues the prompt: a tokenizer that spaces words may lead it with the space between them
            texts.add(reply.at("/choices/0/text").asText());
        }
        return texts;
    }

    @Override
    public void close() {
        // the JDK's client holds no resource that outlives its last request
    }
}
