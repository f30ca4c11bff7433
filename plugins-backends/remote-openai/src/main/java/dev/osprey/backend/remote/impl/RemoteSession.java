package dev.osprey.backend.remote.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.ToolCall;
import dev.osprey.api.chat.ToolSpec;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.GenerationRequest;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.SamplingParams;
import dev.osprey.api.inference.ServedModel;
import dev.osprey.api.inference.SessionStats;
import dev.osprey.api.inference.TokenChunk;

/**
 * A session on an OpenAI-compatible server: every generation is one streamed request upstream, its
 * chunks handed to the listener as they arrive; refusals (HTTP 400) come back as
 * {@link InvalidRequestException} with the upstream {@code param}.
 */
final class RemoteSession implements InferenceSession {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String baseUrl;
    private final String apiKey;
    private final Duration timeout;
    private final ChildServer child;
    /** Our served name of the base model, and the upstream's id for it. */
    private final String servedName;

    private final String upstreamBase;
    private volatile List<ServedModel> models;
    private volatile boolean closed;

    private RemoteSession(
            HttpClient http,
            String baseUrl,
            String apiKey,
            Duration timeout,
            ChildServer child,
            String servedName,
            String upstreamBase,
            List<ServedModel> models) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.child = child;
        this.servedName = servedName;
        this.upstreamBase = upstreamBase;
        this.models = models;
    }

    /** Connects and reads the upstream's models; the first base model is served under our served name. */
    static RemoteSession connect(
            HttpClient http, String baseUrl, String apiKey, BackendOptions options, Duration timeout, ChildServer child)
            throws IOException, InterruptedException {
        RemoteSession probe =
                new RemoteSession(http, baseUrl, apiKey, timeout, child, options.servedName(), "", List.of());
        JsonNode list = probe.call("GET", "/v1/models", null);
        String upstreamBase = null;
        for (JsonNode m : list.path("data")) {
            if (m.path("parent").isNull() || m.path("parent").isMissingNode()) {
                // the upstream's own name for the model we were asked to serve, else its first base model
                if (upstreamBase == null
                        || m.path("id").asText().equals(options.model())
                        || m.path("id").asText().equals(options.servedName())) {
                    upstreamBase = m.path("id").asText();
                }
            }
        }
        if (upstreamBase == null) {
            throw new IOException(baseUrl + "/v1/models lists no model");
        }
        RemoteSession session =
                new RemoteSession(http, baseUrl, apiKey, timeout, child, options.servedName(), upstreamBase, List.of());
        session.models = session.readModels(list);
        return session;
    }

    private List<ServedModel> readModels(JsonNode list) {
        List<ServedModel> out = new ArrayList<>();
        for (JsonNode m : list.path("data")) {
            String id = m.path("id").asText();
            int len = m.path("max_model_len").asInt(0);
            boolean adapter = !(m.path("parent").isNull() || m.path("parent").isMissingNode());
            // which inputs the upstream's model reads is its own business: it refuses what it cannot read
            if (id.equals(upstreamBase)) {
                out.add(new ServedModel(servedName, "", len, ServedModel.ANY_INPUT));
            } else if (adapter) {
                out.add(new ServedModel(id, servedName, len, ServedModel.ANY_INPUT));
            }
        }
        return List.copyOf(out);
    }

    private String upstreamName(String model) {
        return model.equals(servedName) ? upstreamBase : model;
    }

    @Override
    public List<ServedModel> models() {
        return models;
    }

    @Override
    public GenerationHandle generate(GenerationRequest request, GenerationListener listener) {
        boolean chat = request.conversation() != null;
        ObjectNode body = JSON.createObjectNode();
        body.put("model", upstreamName(request.model()));
        if (chat) {
            body.set("messages", messages(request.conversation()));
            if (!request.conversation().tools().isEmpty()) {
                ArrayNode tools = body.putArray("tools");
                for (ToolSpec t : request.conversation().tools()) {
                    ObjectNode fn = tools.addObject()
                            .put("type", "function")
                            .putObject("function")
                            .put("name", t.name())
                            .put("description", t.description());
                    try {
                        fn.set("parameters", JSON.readTree(t.parametersSchemaJson()));
                    } catch (IOException e) {
                        throw new InvalidRequestException(
                                "tool " + t.name() + " has parameters that are not JSON", "tools");
                    }
                }
            }
            if (!request.templateArgs().isEmpty()) {
                body.set("chat_template_kwargs", JSON.valueToTree(request.templateArgs())); // vLLM's and SGLang's name
            }
            if (request.thinkingBudget() >= 0) {
                throw new InvalidRequestException(
                        "thinking_budget is enforced by the djl backend; this server forwards to " + baseUrl
                                + ", which is not asked for it",
                        "thinking_budget");
            }
        } else if (request.prompt() != null) {
            body.put("prompt", request.prompt());
        } else {
            ArrayNode ids = body.putArray("prompt");
            request.promptTokenIds().forEach(ids::add);
        }
        sampling(body, request.sampling(), chat);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        HttpRequest.Builder builder = request(chat ? "/v1/chat/completions" : "/v1/completions")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Stream<String>> lines = new AtomicReference<>();
        CompletableFuture<Void> future = http.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofLines())
                .thenAccept(response -> {
                    lines.set(response.body());
                    try (Stream<String> body0 = response.body()) {
                        if (response.statusCode() != 200) {
                            StringBuilder text = new StringBuilder();
                            body0.forEach(text::append);
                            listener.failed(error(response.statusCode(), text.toString()));
                            return;
                        }
                        relay(body0.iterator(), chat, request.sampling().logprobs(), listener, cancelled);
                    }
                });
        future.whenComplete((ok, error) -> {
            done.set(true);
            if (error != null) {
                if (cancelled.get()) {
                    listener.completed("cancelled", 0, 0);
                } else {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    // a refused connection has no message of its own: name the exception, so the error says why
                    listener.failed(new IOException(
                            "the upstream server " + baseUrl + " failed or cannot be reached: " + cause, cause));
                }
            }
        });
        return new GenerationHandle() {
            @Override
            public void cancel() {
                if (!done.get() && cancelled.compareAndSet(false, true)) {
                    Stream<String> s = lines.get();
                    if (s != null) {
                        s.close(); // ends the upstream request, so the upstream server cancels it too
                    }
                    future.cancel(true);
                }
            }

            @Override
            public boolean isDone() {
                return done.get();
            }
        };
    }

    /** Reads the upstream's SSE lines and tells the listener. */
    private static void relay(
            Iterator<String> lines,
            boolean chat,
            boolean logprobs,
            GenerationListener listener,
            AtomicBoolean cancelled) {
        String finish = null;
        int prompt = 0;
        int completion = 0;
        int chunks = 0;
        while (lines.hasNext()) {
            if (cancelled.get()) {
                listener.completed("cancelled", prompt, chunks);
                return;
            }
            String line = lines.next();
            if (!line.startsWith("data:")) {
                continue;
            }
            String data = line.substring(5).trim();
            if (data.equals("[DONE]")) {
                break;
            }
            JsonNode event;
            try {
                event = JSON.readTree(data);
            } catch (IOException e) {
                listener.failed(new IOException("the upstream sent an event that is not JSON: " + data));
                return;
            }
            if (event.has("error")) {
                listener.failed(error(event.at("/error/code").asInt(500), data));
                return;
            }
            if (event.hasNonNull("usage")) {
                prompt = event.at("/usage/prompt_tokens").asInt();
                completion = event.at("/usage/completion_tokens").asInt();
            }
            for (JsonNode choice : event.path("choices")) {
                String text = chat
                        ? choice.at("/delta/content").asText("")
                        : choice.path("text").asText("");
                JsonNode lp = choice.path("logprobs");
                if (logprobs && lp.isObject()) {
                    for (TokenChunk c : logprobChunks(lp, chat)) {
                        listener.chunk(c);
                        chunks++;
                    }
                } else if (!text.isEmpty()) {
                    listener.chunk(new TokenChunk(text, List.of(), List.of(), List.of()));
                    chunks++;
                }
                if (choice.hasNonNull("finish_reason")) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        listener.completed(finish == null ? "stop" : finish, prompt, completion > 0 ? completion : chunks);
    }

    /** One chunk per token, carrying the token's text and log probabilities (ids are not sent by OpenAI servers). */
    private static List<TokenChunk> logprobChunks(JsonNode lp, boolean chat) {
        List<TokenChunk> out = new ArrayList<>();
        if (chat) {
            for (JsonNode t : lp.path("content")) {
                Map<String, Double> top = new LinkedHashMap<>();
                for (JsonNode alt : t.path("top_logprobs")) {
                    top.put(alt.path("token").asText(), alt.path("logprob").asDouble());
                }
                out.add(new TokenChunk(
                        t.path("token").asText(),
                        List.of(),
                        List.of(t.path("logprob").asDouble()),
                        top.isEmpty() ? List.of() : List.of(top)));
            }
        } else {
            JsonNode tokens = lp.path("tokens");
            for (int i = 0; i < tokens.size(); i++) {
                Map<String, Double> top = new LinkedHashMap<>();
                JsonNode alts = lp.path("top_logprobs").path(i);
                alts.fields()
                        .forEachRemaining(e -> top.put(e.getKey(), e.getValue().asDouble()));
                out.add(new TokenChunk(
                        tokens.get(i).asText(),
                        List.of(),
                        List.of(lp.path("token_logprobs").path(i).asDouble()),
                        top.isEmpty() ? List.of() : List.of(top)));
            }
        }
        return out;
    }

    private static Throwable error(int status, String body) {
        String message = body;
        String param = null;
        try {
            JsonNode e = JSON.readTree(body).path("error");
            if (e.isObject()) {
                message = e.path("message").asText(body);
                param = e.path("param").isTextual() ? e.path("param").asText() : null;
            }
        } catch (IOException ignored) {
            // not JSON: keep the raw text
        }
        if (status == 400 || status == 404 || status == 422) {
            return new InvalidRequestException(message, param);
        }
        return new IOException("the upstream server answered " + status + ": " + message);
    }

    private static void sampling(ObjectNode body, SamplingParams s, boolean chat) {
        if (s.maxTokens() >= 0) {
            body.put(chat ? "max_completion_tokens" : "max_tokens", s.maxTokens());
        }
        body.put("temperature", s.temperature());
        body.put("top_p", s.topP());
        if (s.topK() > 0) {
            body.put("top_k", s.topK());
        }
        if (s.minP() > 0) {
            body.put("min_p", s.minP());
        }
        if (s.repetitionPenalty() != 1) {
            body.put("repetition_penalty", s.repetitionPenalty());
        }
        if (s.presencePenalty() != 0) {
            body.put("presence_penalty", s.presencePenalty());
        }
        if (s.frequencyPenalty() != 0) {
            body.put("frequency_penalty", s.frequencyPenalty());
        }
        if (s.seed() >= 0) {
            body.put("seed", s.seed());
        }
        if (!s.stop().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            s.stop().forEach(stop::add);
        }
        if (!s.stopTokenIds().isEmpty()) {
            ArrayNode stop = body.putArray("stop_token_ids");
            s.stopTokenIds().forEach(stop::add);
        }
        if (s.logprobs()) {
            if (chat) {
                body.put("logprobs", true);
                body.put("top_logprobs", s.topLogprobs());
            } else {
                body.put("logprobs", s.topLogprobs());
            }
        }
    }

    private static ArrayNode messages(Conversation conversation) {
        ArrayNode out = JSON.createArrayNode();
        for (ChatMessage m : conversation.messages()) {
            ObjectNode msg = out.addObject().put("role", m.role());
            if (m.content().stream().allMatch(ContentPart::isText)) {
                msg.put("content", m.text());
            } else {
                ArrayNode parts = msg.putArray("content");
                for (ContentPart p : m.content()) {
                    switch (p.type()) {
                        case ContentPart.TEXT ->
                            parts.addObject().put("type", "text").put("text", p.value());
                        case ContentPart.IMAGE ->
                            parts.addObject()
                                    .put("type", "image_url")
                                    .putObject("image_url")
                                    .put("url", p.value());
                        case ContentPart.VIDEO ->
                            parts.addObject()
                                    .put("type", "video_url")
                                    .putObject("video_url")
                                    .put("url", p.value());
                        default ->
                            parts.addObject()
                                    .put("type", "audio_url")
                                    .putObject("audio_url")
                                    .put("url", p.value());
                    }
                }
            }
            if (!m.toolCalls().isEmpty()) {
                ArrayNode calls = msg.putArray("tool_calls");
                for (ToolCall c : m.toolCalls()) {
                    calls.addObject()
                            .put("id", c.id())
                            .put("type", "function")
                            .putObject("function")
                            .put("name", c.name())
                            .put("arguments", c.argumentsJson());
                }
            }
            if (!m.toolCallId().isEmpty()) {
                msg.put("tool_call_id", m.toolCallId());
            }
        }
        return out;
    }

    @Override
    public void loadAdapter(String name, String path) {
        ObjectNode body = JSON.createObjectNode().put("lora_name", name).put("lora_path", path);
        callChecked("POST", "/v1/load_lora_adapter", body.toString());
        refreshModels();
    }

    @Override
    public void unloadAdapter(String name) {
        ObjectNode body = JSON.createObjectNode().put("lora_name", name);
        callChecked("POST", "/v1/unload_lora_adapter", body.toString());
        refreshModels();
    }

    @Override
    public List<Integer> tokenize(String model, String text, Conversation conversation) {
        ObjectNode body = JSON.createObjectNode().put("model", upstreamName(model));
        if (conversation != null) {
            body.set("messages", messages(conversation));
        } else {
            body.put("prompt", text);
        }
        List<Integer> ids = new ArrayList<>();
        callChecked("POST", "/tokenize", body.toString()).path("tokens").forEach(t -> ids.add(t.asInt()));
        return ids;
    }

    @Override
    public String detokenize(String model, List<Integer> tokenIds) {
        ObjectNode body = JSON.createObjectNode().put("model", upstreamName(model));
        ArrayNode tokens = body.putArray("tokens");
        tokenIds.forEach(tokens::add);
        return callChecked("POST", "/detokenize", body.toString())
                .path("prompt")
                .asText();
    }

    /** vLLM's own gauges, read from its {@code /metrics}; empty for servers without them. */
    @Override
    public Optional<SessionStats> stats() {
        try {
            HttpResponse<String> r = http.send(
                    request("/metrics").timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            double running = gauge(r.body(), "vllm:num_requests_running");
            double waiting = gauge(r.body(), "vllm:num_requests_waiting");
            return Double.isNaN(running)
                    ? Optional.empty()
                    : Optional.of(new SessionStats((int) running, Double.isNaN(waiting) ? 0 : (int) waiting, 0, 0));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static double gauge(String text, String name) {
        double sum = Double.NaN;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                sum = Double.isNaN(sum) ? v : sum + v;
            }
        }
        return sum;
    }

    @Override
    public boolean healthy() {
        if (closed || (child != null && !child.isAlive())) {
            return false;
        }
        try {
            HttpResponse<Void> r = http.send(
                    request("/health").timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (child != null) {
            child.close();
        }
    }

    private void refreshModels() {
        try {
            models = readModels(call("GET", "/v1/models", null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Content-Type", "application/json");
        if (!apiKey.isEmpty()) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private JsonNode callChecked(String method, String path, String body) {
        try {
            return call(method, path, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** One request; a 4xx is an {@link InvalidRequestException}, other failures an IOException naming the URL. */
    private JsonNode call(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("cannot reach " + baseUrl + path + ": " + e, e);
        }
        if (r.statusCode() / 100 != 2) {
            Throwable t = error(r.statusCode(), r.body());
            if (t instanceof InvalidRequestException ire) {
                throw ire;
            }
            throw new IOException(method + " " + baseUrl + path + ": " + t.getMessage());
        }
        String text = r.body();
        if (text.isBlank() || !(text.trim().startsWith("{") || text.trim().startsWith("["))) {
            return JSON.createObjectNode().put("text", text);
        }
        return JSON.readTree(text);
    }
}
