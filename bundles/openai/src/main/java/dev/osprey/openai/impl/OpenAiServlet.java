package dev.osprey.openai.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.ServedModel;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The OpenAI-compatible HTTP API, with vLLM's extras: checks who may call the route
 * ({@link AccessPolicy}), reads the body within {@link ServerLimits}, routes each path to its endpoint,
 * and turns every refusal into OpenAI's error object with its status.
 */
public final class OpenAiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = System.getLogger(OpenAiServlet.class.getName());

    /** The paths this servlet answers, for the whiteboard registration. */
    static final String[] PATTERNS = {
        "/v1/*",
        "/tokenize",
        "/detokenize",
        "/health",
        "/ping",
        "/metrics",
        "/version",
        "/rerank",
        "/v2/rerank",
        "/classify"
    };

    /** What the admin endpoint calls to swap backends. */
    @FunctionalInterface
    interface BackendSwitcher {
        /** Opens a session on {@code backend} and routes new requests to it; returns once it serves. */
        void use(String backend) throws Exception;
    }

    private final transient SessionSwitch sessions;
    private final transient ServingMetrics metrics;
    private final transient CompletionsEndpoint completions;
    private final transient Supplier<ServingConfig> config;
    private final transient BackendSwitcher switcher;
    private final transient StallWatchdog watchdog = new StallWatchdog();
    private final transient TokenBudget budget = new TokenBudget();
    private final transient Object adapterLock = new Object();
    /** The body reader of the limits in force, made again when they change. */
    private transient volatile BodyReader reader;

    private record BodyReader(ServerLimits limits, ObjectMapper mapper) {}

    /** @param config the configuration in force (access, limits); read for every request */
    OpenAiServlet(
            SessionSwitch sessions, ServingMetrics metrics, Supplier<ServingConfig> config, BackendSwitcher switcher) {
        this.sessions = sessions;
        this.metrics = metrics;
        this.completions = new CompletionsEndpoint(metrics);
        this.config = config;
        this.switcher = switcher;
        metrics.limits(() -> config.get().limits(), budget::reserved);
    }

    /** The filter that applies the access policy to the other routes of the HTTP server, refusing as this servlet does. */
    AccessFilter accessFilter() {
        return new AccessFilter(
                () -> config.get().access(), (request, response, e) -> error(request, response, config.get(), e));
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String method = request.getMethod();
        ServingConfig cfg = config.get();
        try {
            cfg.access().check(method, path, request.getHeader("Authorization"));
            switch (method + " " + path) {
                case "GET /health", "GET /ping" -> health(response);
                case "GET /version" -> json(response, 200, Json.object().put("version", "osprey"));
                case "GET /metrics" -> metrics(response);
                case "GET /v1/models" -> models(response);
                case "POST /v1/chat/completions" ->
                    complete(CompletionRequest.readChat(body(request, cfg)), cfg, response);
                case "POST /v1/completions" -> complete(CompletionRequest.readText(body(request, cfg)), cfg, response);
                case "POST /v1/embeddings" -> pooling(EmbeddingsEndpoint::answer, body(request, cfg), response);
                case "POST /v1/rerank", "POST /rerank", "POST /v2/rerank" ->
                    pooling(RerankEndpoint::answer, body(request, cfg), response);
                case "POST /classify", "POST /v1/classify" ->
                    pooling(ClassifyEndpoint::answer, body(request, cfg), response);
                case "POST /tokenize" -> tokenize(body(request, cfg), response);
                case "POST /detokenize" -> detokenize(body(request, cfg), response);
                case "POST /v1/load_lora_adapter" -> loadAdapter(body(request, cfg), cfg, response);
                case "POST /v1/unload_lora_adapter" -> unloadAdapter(body(request, cfg), response);
                case "POST /v1/admin/backend" -> useBackend(body(request, cfg), response);
                case "GET /v1/admin/backend" -> currentBackend(response);
                default ->
                    throw new ApiException(
                            404, "invalid_request_error", "no endpoint " + method + " " + path, null, "not_found");
            }
        } catch (ApiException e) {
            error(request, response, cfg, e);
        } catch (InvalidRequestException e) {
            error(request, response, cfg, ApiException.badRequest(e.getMessage(), e.param()));
        } catch (UnsupportedOperationException e) {
            error(
                    request,
                    response,
                    cfg,
                    new ApiException(501, "invalid_request_error", e.getMessage(), null, "not_implemented"));
        } catch (UncheckedIOException e) {
            // a backend that forwards could not reach its server, or it failed
            error(request, response, cfg, ApiException.upstream(e.getMessage()));
        } catch (IOException e) {
            // the client went away; its generations were cancelled on the way out
            LOG.log(Level.DEBUG, "client closed the connection: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(request, response, cfg, ApiException.unavailable("the server is shutting down"));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, method + " " + path + " failed: " + e, e);
            error(
                    request,
                    response,
                    cfg,
                    new ApiException(500, "server_error", String.valueOf(e.getMessage()), null, null));
        }
    }

    /** The body as a JSON object, read and parsed within the limits in force. */
    private ObjectNode body(HttpServletRequest request, ServingConfig cfg) {
        BodyReader r = reader;
        if (r == null || !r.limits().equals(cfg.limits())) {
            r = new BodyReader(cfg.limits(), Json.reader(cfg.limits()));
            reader = r;
        }
        return Json.readObject(RequestBody.read(request, r.limits(), watchdog), r.mapper(), r.limits());
    }

    private void health(HttpServletResponse response) throws IOException {
        Optional<SessionSwitch.Active> active = sessions.current();
        if (active.map(a -> a.session.healthy()).orElse(false)) {
            response.setStatus(200);
            response.setContentLength(0);
            return;
        }
        // the reason helps whoever waits for the server (osprey deploy) without needing the API key
        throw ApiException.unavailable(
                active.isPresent()
                        ? "the " + active.get().backend + " backend is not healthy"
                        : sessions.unavailableReason());
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
            String root = models.stream()
                    .filter(m -> m.parent().isEmpty())
                    .map(ServedModel::id)
                    .findFirst()
                    .orElse("");
            for (ServedModel m : models) {
                ObjectNode entry = data.addObject()
                        .put("id", m.id())
                        .put("object", "model")
                        .put("created", System.currentTimeMillis() / 1000)
                        .put("owned_by", "osprey")
                        .put("root", m.parent().isEmpty() ? m.id() : root);
                if (m.parent().isEmpty()) {
                    entry.putNull("parent");
                } else {
                    entry.put("parent", m.parent());
                }
                entry.put("max_model_len", m.maxModelLength());
                if (!m.inputs().equals(ServedModel.TEXT_ONLY)) { // a multimodal model says what it reads
                    var inputs = entry.putArray("input_modalities");
                    m.inputs().stream().sorted().forEach(inputs::add);
                }
                entry.putArray("permission");
            }
            json(response, 200, body);
        }
    }

    private void complete(CompletionRequest request, ServingConfig cfg, HttpServletResponse response)
            throws IOException, InterruptedException {
        ServerLimits limits = cfg.limits();
        if (request.sequences() > limits.maxSequencesPerRequest()) {
            metrics.refused("too_many_sequences");
            throw ApiException.badRequest(
                    "the request asks for " + request.sequences() + " sequences ("
                            + request.prompts().size()
                            + " prompts x n " + request.n() + ") but this server generates at most "
                            + limits.maxSequencesPerRequest()
                            + " per request (setting max_sequences_per_request)",
                    "n");
        }
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            InferenceSession session = lease.session();
            ServedModel model = servedModel(session, request.model());
            if (request.chat()) {
                requireInputs(model, request.prompts().get(0).conversation());
            }
            TokenBudget.Reservation reservation;
            try {
                reservation = budget.reserve(request.tokenBudget(model.maxModelLength()), limits.maxQueuedTokens());
            } catch (ApiException e) {
                metrics.refused(e.status == 429 ? "server_busy" : "too_many_tokens");
                throw e;
            }
            try (reservation) {
                completions.run(request, model.id(), session, response, limits.disconnectCheck());
            }
        }
    }

    /** The requested model, the base model when none is named, or 404. */
    static ServedModel servedModel(InferenceSession session, String requested) {
        List<ServedModel> models = session.models();
        if (requested == null || requested.isEmpty()) {
            return models.stream()
                    .filter(m -> m.parent().isEmpty())
                    .findFirst()
                    .orElseThrow(() -> ApiException.badRequest("'model' is required", "model"));
        }
        return models.stream()
                .filter(m -> m.id().equals(requested))
                .findFirst()
                .orElseThrow(() -> ApiException.unknownModel(requested));
    }

    /** 400 for a content part the model cannot read (an image for a text-only model), rather than unknown tokens. */
    static void requireInputs(ServedModel model, Conversation conversation) {
        for (int i = 0; i < conversation.messages().size(); i++) {
            List<ContentPart> parts = conversation.messages().get(i).content();
            for (int j = 0; j < parts.size(); j++) {
                String type = parts.get(j).type();
                if (!model.accepts(type)) {
                    String what = switch (type) {
                        case ContentPart.IMAGE -> "images";
                        case ContentPart.VIDEO -> "videos";
                        default -> type;
                    };
                    throw ApiException.badRequest(
                            "model `" + model.id() + "` does not accept " + what + " (messages[" + i + "].content[" + j
                                    + "] is " + type + "); it reads "
                                    + model.inputs().stream().sorted().toList(),
                            "messages");
                }
            }
        }
    }

    /** An embeddings or rerank request, answered on the session in use (new endpoint classes per route). */
    private void pooling(
            java.util.function.BiFunction<InferenceSession, ObjectNode, ObjectNode> endpoint,
            ObjectNode body,
            HttpServletResponse response)
            throws IOException {
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            json(response, 200, endpoint.apply(lease.session(), body));
        }
    }

    private void tokenize(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            InferenceSession session = lease.session();
            ServedModel served = servedModel(session, f.string("model", null));
            String model = served.id();
            List<Integer> ids;
            if (body.has("messages")) {
                CompletionRequest chat = CompletionRequest.readChat(body);
                Conversation conversation = chat.prompts().get(0).conversation();
                requireInputs(served, conversation);
                ids = session.tokenize(model, null, conversation);
            } else {
                String prompt = f.string("prompt", null);
                if (prompt == null) {
                    throw ApiException.badRequest("give 'prompt' (text) or 'messages' (a chat) to tokenize", "prompt");
                }
                ids = session.tokenize(model, prompt, null);
            }
            ObjectNode out = Json.object().put("count", ids.size()).put("max_model_len", served.maxModelLength());
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
        List<Integer> ids = f.integers("tokens", 0, Integer.MAX_VALUE);
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            String model = servedModel(lease.session(), f.string("model", null)).id();
            json(response, 200, Json.object().put("prompt", lease.session().detokenize(model, ids)));
        }
    }

    /**
     * Loads an adapter from a folder under the adapter roots, within {@code max_loras}. The backend's
     * loader refuses a folder that holds no adapter, or one that does not fit the model, with an
     * {@link IllegalArgumentException} naming the file (400).
     */
    private void loadAdapter(ObjectNode body, ServingConfig cfg, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        String name = require(f, "lora_name");
        String path = require(f, "lora_path");
        Path folder = cfg.adapterFolders().resolve(path);
        synchronized (adapterLock) { // one at a time, so two loads cannot both take the last free place
            try (SessionSwitch.Lease lease = sessions.acquire()) {
                List<ServedModel> served = lease.session().models();
                if (served.stream().anyMatch(m -> m.id().equals(name))) {
                    throw ApiException.badRequest(
                            "The lora adapter '" + name + "' has already been loaded.", "lora_name");
                }
                cfg.adapterFolders()
                        .checkRoom(served.stream()
                                .filter(m -> !m.parent().isEmpty())
                                .count());
                lease.session().loadAdapter(name, folder.toString());
            } catch (InvalidRequestException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(e.getMessage(), "lora_path"); // the loader names the file at fault
            }
        }
        text(response, 200, "Success: LoRA adapter '" + name + "' added successfully.");
    }

    private void unloadAdapter(ObjectNode body, HttpServletResponse response) throws IOException {
        Fields f = new Fields(body);
        String name = require(f, "lora_name");
        try (SessionSwitch.Lease lease = sessions.acquire()) {
            if (lease.session().models().stream()
                    .noneMatch(m -> m.id().equals(name) && !m.parent().isEmpty())) {
                throw new ApiException(
                        404,
                        "invalid_request_error",
                        "The lora adapter '" + name + "' cannot be found.",
                        "lora_name",
                        "not_found");
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
            // an unknown backend, a missing program or setting: nothing was started
            throw ApiException.badRequest(e.getMessage(), "backend");
        } catch (IOException e) {
            // the program started but never served, or the server it forwards to cannot be reached
            throw ApiException.upstream("could not open a session on backend '" + backend + "': " + e.getMessage());
        } catch (Exception e) {
            throw new ApiException(
                    500,
                    "server_error",
                    "could not open a session on backend '" + backend + "': " + e.getMessage(),
                    "backend",
                    null);
        }
        currentBackend(response);
    }

    private void currentBackend(HttpServletResponse response) throws IOException {
        SessionSwitch.Active active =
                sessions.current().orElseThrow(() -> ApiException.unavailable("no backend session is open"));
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

    /** Sends {@code e} as OpenAI's error object, leaving the connection fit for the next request or closing it. */
    void error(HttpServletRequest request, HttpServletResponse response, ServingConfig cfg, ApiException e)
            throws IOException {
        refuse(request, response, cfg.limits(), watchdog, e);
    }

    /**
     * Sends {@code e} as OpenAI's error object, reading what is left of the body within {@code limits} so that
     * the connection can carry the next request, or closing it when that cannot be done.
     */
    static void refuse(
            HttpServletRequest request,
            HttpServletResponse response,
            ServerLimits limits,
            StallWatchdog watchdog,
            ApiException e)
            throws IOException {
        if (response.isCommitted()) {
            LOG.log(Level.WARNING, "error after the response started: " + e.getMessage());
            return;
        }
        response.reset();
        if (e.status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer");
        }
        if (!RequestBody.discard(request, limits, watchdog)) {
            // the rest of the body cannot be read (too large, malformed, stalled): it must not be read as the
            // next request, so the connection ends with this answer
            response.setHeader("Connection", "close");
        }
        json(response, e.status, ErrorBody.of(e));
    }
}
