package dev.osprey.openai.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.ParsedCompletion;
import dev.osprey.api.inference.GenerationHandle;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.inference.InvalidRequestException;
import dev.osprey.api.inference.TokenChunk;
import dev.osprey.openai.impl.GenerationEvents.Chunk;
import dev.osprey.openai.impl.GenerationEvents.Completed;
import dev.osprey.openai.impl.GenerationEvents.Event;
import dev.osprey.openai.impl.GenerationEvents.Failed;

import jakarta.servlet.http.HttpServletResponse;

/**
 * Runs one chat or text completion request on a leased session: submits every choice, then answers
 * with one JSON body or with server-sent events ({@code data: {...}\n\n}, ending with
 * {@code data: [DONE]}). A client that goes away cancels its generations: a stream notices at its next
 * chunk; a whole answer, which writes nothing until the end, checks every {@code disconnect_check_ms}
 * once its generations are under way by sending a space (JSON allows leading whitespace), which
 * commits status 200 (a failure after that point is sent as the body, {@code {"error": ...}}, as a
 * stream sends it as an event).
 */
final class CompletionsEndpoint {

    private final ServingMetrics metrics;

    CompletionsEndpoint(ServingMetrics metrics) {
        this.metrics = metrics;
    }

    /** What one choice has produced so far. */
    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        /** Its reading through the chat template; null for text completions and backends that render no template. */
        ChatReader.Choice parts;

        final List<TokenLogprob> logprobs = new ArrayList<>();
        String finishReason;
        int promptTokens;
        int completionTokens;
        boolean done;
    }

    /** @param disconnectCheck how often a whole answer checks that its client is there; zero for never */
    void run(
            CompletionRequest request,
            String model,
            InferenceSession session,
            HttpServletResponse response,
            Duration disconnectCheck)
            throws IOException, InterruptedException {
        ResponseFormat format = request.chat() ? new ChatFormat() : new TextFormat();
        String id = format.idPrefix() + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        int perPrompt = request.n();
        int total = request.prompts().size() * perPrompt;
        List<String> echoes = new ArrayList<>();
        for (CompletionRequest.Prompt p : request.prompts()) {
            echoes.add(!request.echo() ? "" : p.text() != null ? p.text() : session.detokenize(model, p.tokenIds()));
        }
        ChatReader reader = request.chat() ? reader(request, model, session) : null;
        GenerationEvents events = new GenerationEvents();
        List<GenerationHandle> handles = new ArrayList<>();
        Choice[] choices = new Choice[total];
        for (int c = 0; c < total; c++) {
            choices[c] = new Choice();
            choices[c].parts = reader == null ? null : reader.choice();
            try {
                handles.add(session.generate(
                        request.generation(
                                id,
                                model,
                                c / perPrompt,
                                c % perPrompt,
                                reader == null ? "" : reader.answerPrefix(),
                                reader == null ? Set.of() : reader.stops()),
                        events.listener(c, metrics.timer(model))));
            } catch (RuntimeException e) {
                events.fail(c, e);
            }
        }
        try {
            if (request.stream()) {
                stream(request, format, id, created, model, session, events, choices, echoes, response);
            } else {
                whole(request, format, id, created, model, session, events, choices, echoes, response, disconnectCheck);
            }
        } finally {
            // a client that went away, or a choice that failed: stop what is still generating
            handles.forEach(GenerationHandle::cancel);
        }
    }

    /**
     * The reader of a chat request's completions: through the template the session renders with; none when the
     * session renders none (a remote server answers in its own shape), unless tool_choice must be forced.
     */
    private static ChatReader reader(CompletionRequest request, String model, InferenceSession session) {
        Optional<ChatTemplate> template;
        try {
            template = session.chatTemplate(model);
        } catch (RuntimeException e) {
            template = Optional.empty(); // an unknown model: generate() reports it
        }
        CompletionRequest.ChatOptions options = request.chatOptions();
        if (template.isEmpty()) {
            if (CompletionRequest.REQUIRED.equals(options.toolChoice())
                    || CompletionRequest.FUNCTION.equals(options.toolChoice())) {
                throw ApiException.badRequest(
                        "tool_choice '" + options.toolChoice() + "' needs a backend that renders the chat template",
                        "tool_choice");
            }
            return null;
        }
        return new ChatReader(template.get(), options);
    }

    private void whole(
            CompletionRequest request,
            ResponseFormat format,
            String id,
            long created,
            String model,
            InferenceSession session,
            GenerationEvents events,
            Choice[] choices,
            List<String> echoes,
            HttpServletResponse response,
            Duration disconnectCheck)
            throws IOException, InterruptedException {
        int open = choices.length;
        long checkNanos = disconnectCheck.toNanos();
        boolean underWay = false; // a choice has started: from then on the client is probed
        long lastCheck = 0; // System.nanoTime() of the start or the last probe
        while (open > 0) {
            Event e = events.next(checkNanos > 0 ? Math.max(1, disconnectCheck.toMillis()) : 1000);
            long now = System.nanoTime();
            if (checkNanos > 0 && underWay && now - lastCheck >= checkNanos) {
                probeClient(response); // throws IOException when the client has gone: the caller cancels the choices
                lastCheck = now;
            }
            if (e == null) {
                continue;
            }
            if (!underWay && !(e instanceof Failed)) {
                underWay = true;
                lastCheck = now;
            }
            Choice choice = choices[e.index()];
            if (e instanceof Failed f) {
                if (response.isCommitted()) {
                    // status 200 went out with the first probe: the error is the body
                    response.getOutputStream()
                            .write(Json.write(ErrorBody.of(asApiError(f.error())))
                                    .getBytes(StandardCharsets.UTF_8));
                    return;
                }
                throw asApiError(f.error());
            } else if (e instanceof Chunk ch) {
                choice.text.append(ch.chunk().text());
                if (request.sampling().logprobs()) {
                    choice.logprobs.addAll(tokens(session, model, ch.chunk()));
                }
            } else if (e instanceof Completed done) {
                finish(choice, done);
                open--;
            }
        }
        ObjectNode body = envelope(format, id, created, model, false);
        ArrayNode list = body.putArray("choices");
        for (int c = 0; c < choices.length; c++) {
            String echo = echoes.get(c / request.n());
            if (choices[c].parts != null) {
                ParsedCompletion parts = choices[c].parts.read(choices[c].text.toString(), true);
                List<ChatReader.SentCall> calls = choices[c].parts.withIds(parts.toolCalls());
                list.add(((ChatFormat) format)
                        .messageChoice(
                                c,
                                parts,
                                calls,
                                request.sampling().logprobs() ? choices[c].logprobs : null,
                                finishReason(choices[c].finishReason, !calls.isEmpty())));
                continue;
            }
            list.add(format.fullChoice(
                    c,
                    echo + choices[c].text,
                    echo.length(),
                    request.sampling().logprobs() ? choices[c].logprobs : null,
                    choices[c].finishReason));
        }
        body.set("usage", usage(request, choices));
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        if (!response.isCommitted()) {
            response.setStatus(200);
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            response.setContentLength(bytes.length);
        }
        response.getOutputStream().write(bytes);
    }

    /** Writes one space of the JSON answer, committing 200 on the first call; fails when the client is gone. */
    private static void probeClient(HttpServletResponse response) throws IOException {
        if (!response.isCommitted()) {
            response.setStatus(200);
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
        }
        response.getOutputStream().write(' ');
        response.getOutputStream().flush();
    }

    private void stream(
            CompletionRequest request,
            ResponseFormat format,
            String id,
            long created,
            String model,
            InferenceSession session,
            GenerationEvents events,
            Choice[] choices,
            List<String> echoes,
            HttpServletResponse response)
            throws IOException, InterruptedException {
        // wait for the first event before committing 200, so a refused prompt still gets its 400
        Event first = null;
        while (first == null) {
            first = events.next(1000);
        }
        if (first instanceof Failed f) {
            throw asApiError(f.error());
        }
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-cache");
        OutputStream out = response.getOutputStream();
        for (int c = 0; c < choices.length; c++) {
            ObjectNode opening = format.openingChoice(c);
            if (opening != null) {
                send(out, chunk(format, id, created, model, opening));
            }
            String echo = echoes.get(c / request.n());
            if (!echo.isEmpty()) {
                choices[c].text.append(echo);
                send(out, chunk(format, id, created, model, format.deltaChoice(c, echo, 0, null)));
            }
        }
        out.flush();
        int open = choices.length;
        Event e = first;
        while (true) {
            if (e != null) {
                Choice choice = choices[e.index()];
                if (e instanceof Failed f) {
                    // the status is sent already: the error goes as an event, then the stream ends
                    ApiException error = asApiError(f.error());
                    send(out, Json.write(ErrorBody.of(error)));
                    break;
                } else if (e instanceof Chunk ch) {
                    TokenChunk tc = ch.chunk();
                    List<TokenLogprob> lp = request.sampling().logprobs() ? tokens(session, model, tc) : null;
                    if (choice.parts != null) {
                        choice.text.append(tc.text());
                        ChatReader.Delta delta = choice.parts.next(choice.text.toString(), false);
                        if (delta != null || lp != null) {
                            send(
                                    out,
                                    chunk(
                                            format,
                                            id,
                                            created,
                                            model,
                                            ((ChatFormat) format)
                                                    .partsDelta(
                                                            e.index(),
                                                            delta != null
                                                                    ? delta
                                                                    : new ChatReader.Delta("", "", List.of()),
                                                            lp)));
                        }
                    } else if (!tc.text().isEmpty() || lp != null) {
                        send(
                                out,
                                chunk(
                                        format,
                                        id,
                                        created,
                                        model,
                                        format.deltaChoice(e.index(), tc.text(), choice.text.length(), lp)));
                    }
                    if (choice.parts == null) {
                        choice.text.append(tc.text());
                    }
                } else if (e instanceof Completed done) {
                    finish(choice, done);
                    String reason = done.finishReason();
                    if (choice.parts != null) {
                        ChatReader.Delta rest = choice.parts.next(choice.text.toString(), true);
                        if (rest != null) {
                            send(
                                    out,
                                    chunk(
                                            format,
                                            id,
                                            created,
                                            model,
                                            ((ChatFormat) format).partsDelta(e.index(), rest, null)));
                        }
                        reason = finishReason(reason, choice.parts.hasCalls());
                    }
                    send(out, chunk(format, id, created, model, format.finishChoice(e.index(), reason)));
                    if (--open == 0) {
                        if (request.includeUsage()) {
                            ObjectNode last = envelope(format, id, created, model, true);
                            last.putArray("choices");
                            last.set("usage", usage(request, choices));
                            send(out, Json.write(last));
                        }
                        break;
                    }
                }
                out.flush();
            }
            e = events.next(1000);
        }
        send(out, "[DONE]");
        out.flush();
    }

    /** {@code tool_calls} when a choice that stopped by itself made calls; its own reason otherwise. */
    private static String finishReason(String reason, boolean calls) {
        return calls && "stop".equals(reason) ? "tool_calls" : reason;
    }

    private static void finish(Choice choice, Completed done) {
        choice.finishReason = done.finishReason();
        choice.promptTokens = done.promptTokens();
        choice.completionTokens = done.completionTokens();
        choice.done = true;
    }

    /** OpenAI counts a prompt once however many choices it has. */
    private static ObjectNode usage(CompletionRequest request, Choice[] choices) {
        int prompt = 0;
        int completion = 0;
        for (int c = 0; c < choices.length; c++) {
            if (c % request.n() == 0) {
                prompt += choices[c].promptTokens;
            }
            completion += choices[c].completionTokens;
        }
        return Json.object()
                .put("prompt_tokens", prompt)
                .put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static String chunk(ResponseFormat format, String id, long created, String model, ObjectNode choice) {
        ObjectNode body = envelope(format, id, created, model, true);
        body.putArray("choices").add(choice);
        return Json.write(body);
    }

    private static ObjectNode envelope(ResponseFormat format, String id, long created, String model, boolean stream) {
        return Json.object()
                .put("id", id)
                .put("object", format.object(stream))
                .put("created", created)
                .put("model", model);
    }

    private static void send(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Each token of a chunk with its text and log probabilities. */
    private static List<TokenLogprob> tokens(InferenceSession session, String model, TokenChunk chunk) {
        List<TokenLogprob> out = new ArrayList<>();
        List<Integer> ids = chunk.tokenIds();
        // a remote backend knows tokens by text only: one chunk per token, no ids
        int count = Math.max(ids.size(), chunk.logprobs().size());
        for (int i = 0; i < count; i++) {
            String text = count == 1 && !chunk.text().isEmpty()
                    ? chunk.text()
                    : i < ids.size() ? tokenText(session, model, ids.get(i)) : "";
            double logprob = i < chunk.logprobs().size() ? chunk.logprobs().get(i) : Double.NaN;
            Map<String, Double> top =
                    i < chunk.topLogprobs().size() ? chunk.topLogprobs().get(i) : Map.of();
            out.add(new TokenLogprob(text, logprob, new LinkedHashMap<>(top)));
        }
        return out;
    }

    private static String tokenText(InferenceSession session, String model, int id) {
        try {
            return session.detokenize(model, List.of(id));
        } catch (UnsupportedOperationException e) {
            return "token_id:" + id; // vLLM's spelling when tokens are returned as ids
        }
    }

    /**
     * A backend failure as an API error: the session's refusals are 400s naming their field; an I/O
     * failure is the server the backend forwards to failing or out of reach (502).
     */
    static ApiException asApiError(Throwable error) {
        if (error instanceof ApiException api) {
            return api;
        }
        if (error instanceof InvalidRequestException invalid) {
            return ApiException.badRequest(invalid.getMessage(), invalid.param());
        }
        if (error instanceof IOException || error instanceof UncheckedIOException) {
            return ApiException.upstream(error.getMessage() != null ? error.getMessage() : error.toString());
        }
        String message = error.getMessage() != null
                ? error.getMessage()
                : error.getClass().getName();
        return new ApiException(500, "server_error", message, null, null);
    }
}
