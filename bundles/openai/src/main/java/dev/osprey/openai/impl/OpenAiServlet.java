package dev.osprey.openai.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.ServedModel;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The OpenAI-compatible HTTP API, with vLLM's extras: routes each path to its endpoint, checks the API
 * key on {@code /v1/*} (as vLLM does), and turns every refusal into OpenAI's error object.
 */
public final class OpenAiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(OpenAiServlet.class.getName());

    /** The paths this servlet answers, for the whiteboard registration. */
    static final String[] PATTERNS = {"/v1/*", "/tokenize", "/detokenize", "/health", "/ping", "/metrics", "/version"};

    /** What the admin endpoint calls to swap backends. */
    @FunctionalInterface
    interface BackendSwitcher {
        /** Opens a session on {@code backend} and routes new requests to it; returns once it serves. */
        void use(String backend) throws Exception;
    }

    private final transient SessionSwitch sessions;
    private final transient ServingMetrics metrics;
    private final transient CompletionsEndpoint completions;
    private final transient Supplier<String> apiKey;
    private final transient BackendSwitcher switcher;

    /**
     * @param apiKey the key clients must send as {@code Authorization: Bearer KEY}; empty or null for none
     */
    OpenAiServlet(SessionSwitch sessions, ServingMetrics metrics, Supplier<String> apiKey, BackendSwitcher switcher) {
        this.sessions = sessions;
        this.metrics = metrics;
        this.completions = new CompletionsEndpoint(metrics);
        this.apiKey = apiKey;
        this.switcher = switcher;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String method = request.getMethod();
        try {
            if (path.startsWith("/v1/")) {
                checkKey(request);
            }
            switch (method + " " + path) {
                case "GET /health", "GET /ping" -> health(response);
                case "GET /version" -> json(response, 200, Json.object().put("version", "osprey"));
                case "GET /metrics" -> metrics(response);
                case "GET /v1/models" -> models(response);
                case "POST /v1/chat/completions" -> complete(CompletionRequest.readChat(Json.readObject(request.getInputStream())), response);
                case "POST /v1/completions" -> complete(CompletionRequest.readText(Json.readObject(request.getInputStream())), response);
                case "POST /tokenize" -> tokenize(Json.readObject(request.getInputStream()), response);
                case "POST /detokenize" -> detokenize(Json.readObject(request.getInputStream()), response);
                case "POST /v1/load_lora_adapter" -> loadAdapter(Json.readObject(request.getInputStream()), response);
                case "POST /v1/unload_lora_adapter" -> unloadAdapter(Json.readObject(request.getInputStream()), response);
                case "POST /v1/admin/backend" -> useBackend(Json.readObject(request.getInputStream()), response);
                case "GET /v1/admin/backend" -> currentBackend(response);
                default -> throw new ApiException(404, "invalid_request_error", "no endpoint " + method + " " + path, null,
                        "not_found");
            }
        } catch (ApiException e) {
            error(response, e);
        } catch (InvalidRequestException e) {
            error(response, ApiException.badRequest(e.getMessage(), e.param()));
        } catch (UnsupportedOperationException e) {
            error(response, new ApiException(501, "invalid_request_error", e.getMessage(), null, "not_implemented"));
        } catch (IOException e) {
            // the client went away; its generations were cancelled on the way out
            LOG.log(Level.FINE, "client closed the connection: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(response, ApiException.unavailable("the server is shutting down"));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, method + " " + path + " failed: " + e, e);
            error(response, new ApiException(500, "server_error", String.valueOf(e.getMessage()), null, null));
        }
    }

    private void checkKey(HttpServletRequest request) {
        String key = apiKey.get();
        if (key == null || key.isEmpty()) {
            return;
        }
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("missing API key: send it as 'Authorization: Bearer KEY'");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8))) {
            throw ApiException.unauthorized("incorrect API key provided");
        }
    }

    private void health(HttpServletResponse response) throws IOException {
        boolean healthy = sessions.current().map(a -> a.session.healthy()).orElse(false);
        response.setStatus(healthy ? 200 : 503);
        response.setContentLength(0);
    }

    private void metrics(HttpServletResponse response) throws IOException {
        byte[] body = metrics.scrape();
        response.setStatus(200);
        response.setContentType(metrics.contentType());
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private void models(HttpServletResponse response) throws IOException {
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            ObjectNode body = Json.object().put("object", "list");
            ArrayNode data = body.putArray("data");
            List<ServedModel> models = lease.session().models();
            String root = models.stream().filter(m -> m.parent().isEmpty()).map(ServedModel::id).findFirst().orElse("");
            for (ServedModel m : models) {
                ObjectNode entry = data.addObject().put("id", m.id()).put("object", "model")
                        .put("created", System.currentTimeMillis() / 1000).put("owned_by", "osprey")
                        .put("root", m.parent().isEmpty() ? m.id() : root);
                if (m.parent().isEmpty()) {
                    entry.putNull("parent");
                } else {
                    entry.put("parent", m.parent());
                }
                entry.put("max_model_len", m.maxModelLength());
                entry.putArray("permission");
            }
            json(response, 200, body);
        }
    }

    private void complete(CompletionRequest request, HttpServletResponse response) throws IOException, InterruptedException {
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            String model = servedModel(lease.session(), request.model());
            completions.run(request, model, lease.session(), response);
        }
    }

    /** The requested model, the base model when none is named, or 404. */
    static String servedModel(InferenceSession session, String requested) {
        List<ServedModel> models = session.models();
        if (requested == null || requested.isEmpty()) {
            return models.stream().filter(m -> m.parent().isEmpty()).map(ServedModel::id).findFirst()
                    .orElseThrow(() -> ApiException.badRequest("'model' is required", "model"));
        }
        if (models.stream().noneMatch(m -> m.id().equals(requested))) {
            throw ApiException.unknownModel(requested);
        }
        return requested;
    }

    private void tokenize(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            InferenceSession session = lease.session();
            String model = servedModel(session, f.string("model", null));
            List<Integer> ids;
            if (body.has("messages")) {
                CompletionRequest chat = CompletionRequest.readChat(body);
                Conversation conversation = chat.prompts().get(0).conversation();
                ids = session.tokenize(model, null, conversation);
            } else {
                String prompt = f.string("prompt", null);
                if (prompt == null) {
                    throw ApiException.badRequest("give 'prompt' (text) or 'messages' (a chat) to tokenize", "prompt");
                }
                ids = session.tokenize(model, prompt, null);
            }
            int maxLen = session.models().stream().filter(m -> m.id().equals(model)).mapToInt(ServedModel::maxModelLength)
                    .findFirst().orElse(0);
            ObjectNode out = Json.object().put("count", ids.size()).put("max_model_len", maxLen);
            ArrayNode tokens = out.putArray("tokens");
            ids.forEach(tokens::add);
            out.putNull("token_strs");
            json(response, 200, out);
        }
    }

    private void detokenize(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        if (!body.has("tokens")) {
            throw ApiException.badRequest("'tokens' (a list of token ids) is required", "tokens");
        }
        List<Integer> ids = f.integers("tokens");
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            String model = servedModel(lease.session(), f.string("model", null));
            json(response, 200, Json.object().put("prompt", lease.session().detokenize(model, ids)));
        }
    }

    private void loadAdapter(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        String name = require(f, "lora_name");
        String path = require(f, "lora_path");
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            if (lease.session().models().stream().anyMatch(m -> m.id().equals(name))) {
                throw ApiException.badRequest("The lora adapter '" + name + "' has already been loaded.", "lora_name");
            }
            lease.session().loadAdapter(name, path);
        }
        text(response, 200, "Success: LoRA adapter '" + name + "' added successfully.");
    }

    private void unloadAdapter(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        String name = require(f, "lora_name");
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            if (lease.session().models().stream().noneMatch(m -> m.id().equals(name) && !m.parent().isEmpty())) {
                throw new ApiException(404, "invalid_request_error", "The lora adapter '" + name + "' cannot be found.",
                        "lora_name", "not_found");
            }
            lease.session().unloadAdapter(name);
        }
        text(response, 200, "Success: LoRA adapter '" + name + "' removed successfully.");
    }

    private void useBackend(ObjectNode body, HttpServletResponse response) throws IOException {
        String backend = require(new Fields(body), "backend");
        try {
            switcher.use(backend);
        } catch (ApiException | InvalidRequestException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage(), "backend");
        } catch (Exception e) {
            throw new ApiException(500, "server_error", "could not open a session on backend '" + backend + "': "
                    + e.getMessage(), "backend", null);
        }
        currentBackend(response);
    }

    private void currentBackend(HttpServletResponse response) throws IOException {
        SessionSwitch.Active active = sessions.current().orElseThrow(() -> ApiException.unavailable("no backend session is open"));
        json(response, 200, Json.object().put("backend", active.backend));
    }

    private static String require(Fields f, String name) {
        String value = f.string(name, null);
        if (value == null || value.isEmpty()) {
            throw ApiException.badRequest("'" + name + "' is required", name);
        }
        return value;
    }

    private static void json(HttpServletResponse response, int status, JsonNode body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static void text(HttpServletResponse response, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static void error(HttpServletResponse response, ApiException e) throws IOException {
        if (response.isCommitted()) {
            LOG.log(Level.WARNING, "error after the response started: " + e.getMessage());
            return;
        }
        response.reset();
        if (e.status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        json(response, e.status, ErrorBody.of(e));
    }
}
