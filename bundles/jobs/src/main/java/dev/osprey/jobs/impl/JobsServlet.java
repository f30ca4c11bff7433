package dev.osprey.jobs.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceSelector;
import dev.osprey.api.http.ErrorBody;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.jobs.Job;
import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobService;
import dev.osprey.api.plugin.ExtensionKind;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The job service over HTTP: {@code POST /api/jobs} submits, {@code GET /api/jobs} lists,
 * {@code GET /api/jobs/ID} shows one, {@code GET /api/jobs/ID/events?from=N} streams its events as
 * server-sent events (the past ones from N, then live ones until the job ends), {@code DELETE /api/jobs/ID}
 * cancels. Errors are OpenAI's error object naming the bad field. When the server has an API key, the
 * serving bundle's access filter over every route protects these too.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/jobs", "/api/jobs/*"})
public class JobsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    /** How often an idle event stream sends a comment, so a client that left is noticed. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(10);
    /** An option as the training methods' errors name it: {@code --lora_rank}, or {@code 'lora_rank'} after "for". */
    private static final Pattern OPTION = Pattern.compile("--([a-z_0-9]+)|for '([a-z_0-9]+)'");

    @Reference
    transient JobService jobs;

    @Reference
    transient DeviceSelector devices;

    /** A refusal with its HTTP status and the request field at fault. */
    static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String param;

        BadRequest(int status, String param, String message) {
            super(message);
            this.status = status;
            this.param = param;
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            route(request, response);
        } catch (BadRequest e) {
            sendError(response, e.status, e.param, e.getMessage());
        } catch (IllegalArgumentException e) {
            sendError(response, 400, fieldOf(e.getMessage()), e.getMessage());
        }
    }

    private void route(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        List<String> path = segments(request.getPathInfo());
        if (path.isEmpty()) {
            switch (method) {
                case "GET" ->
                    sendJson(
                            response,
                            200,
                            Map.of(
                                    "object",
                                    "list",
                                    "data",
                                    jobs.list().stream().map(JobsServlet::view).toList()));
                case "POST" -> sendJson(response, 201, view(jobs.submit(parse(request))));
                default -> notAllowed(response, "GET, POST");
            }
            return;
        }
        Job job = jobs.find(path.get(0))
                .orElseThrow(() -> new BadRequest(404, "id", "no job with id '" + path.get(0) + "'"));
        if (path.size() == 1) {
            switch (method) {
                case "GET" -> sendJson(response, 200, view(job));
                case "DELETE" -> {
                    job.cancel();
                    sendJson(response, 202, view(job));
                }
                default -> notAllowed(response, "GET, DELETE");
            }
        } else if (path.size() == 2 && path.get(1).equals("events")) {
            if (!method.equals("GET")) {
                notAllowed(response, "GET");
                return;
            }
            streamEvents(job, from(request), response);
        } else {
            throw new BadRequest(404, null, "no route " + method + " " + request.getRequestURI());
        }
    }

    private static List<String> segments(String pathInfo) {
        List<String> segments = new ArrayList<>();
        if (pathInfo != null) {
            for (String s : pathInfo.split("/")) {
                if (!s.isEmpty()) {
                    segments.add(s);
                }
            }
        }
        return segments;
    }

    /** {@code ?from=N}, else the event after a reconnecting client's {@code Last-Event-ID}, else 0. */
    private static long from(HttpServletRequest request) {
        String from = request.getParameter("from");
        String lastId = request.getHeader("Last-Event-ID");
        try {
            if (from != null) {
                long n = Long.parseLong(from.trim());
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            }
            return lastId == null ? 0 : Long.parseLong(lastId.trim()) + 1;
        } catch (NumberFormatException e) {
            throw new BadRequest(
                    400,
                    from != null ? "from" : "Last-Event-ID",
                    (from != null ? "from" : "Last-Event-ID") + " must be an event number (0 or more), was '"
                            + (from != null ? from : lastId) + "'");
        }
    }

    /** {@code id: N}, {@code event: TYPE}, {@code data: JSON} per event; ends after the job's last event. */
    private static void streamEvents(Job job, long from, HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType("text/event-stream");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        OutputStream out = response.getOutputStream();
        out.write((": job " + job.id() + "\n\n").getBytes(StandardCharsets.UTF_8));
        response.flushBuffer();
        long next = from;
        try {
            while (true) {
                List<JobEvent> events = job.nextEvents(next, KEEP_ALIVE);
                if (events.isEmpty()) {
                    if (job.state().isFinal() && next >= job.events(0).size()) {
                        return;
                    }
                    out.write(": waiting\n\n".getBytes(StandardCharsets.UTF_8)); // fails once the client left
                } else {
                    for (JobEvent event : events) {
                        out.write(("id: " + event.sequence() + "\nevent: "
                                        + event.type().name().toLowerCase(Locale.ROOT) + "\ndata: "
                                        + JobJson.MAPPER.writeValueAsString(event.toMap()) + "\n\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    next = events.get(events.size() - 1).sequence() + 1;
                }
                response.flushBuffer();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away; it can come back with ?from= or Last-Event-ID
        }
    }

    /** The job as JSON, with its latest step (so a poller needs no event stream) and where to follow it. */
    private static Map<String, Object> view(Job job) {
        Map<String, Object> map = new LinkedHashMap<>(JobJson.job((JobRecord) job));
        List<JobEvent> events = job.events(0);
        for (int i = events.size() - 1; i >= 0; i--) {
            if (events.get(i).type() == JobEvent.Type.STEP) {
                Map<String, Object> progress = events.get(i).toMap();
                progress.keySet().removeAll(List.of("sequence", "type"));
                map.put("progress", progress);
                break;
            }
        }
        map.put("events_url", "/api/jobs/" + job.id() + "/events");
        return map;
    }

    /** {@code {"method": "sft", "kind": "training-method", "arguments": {...}, "device": "cpu"}}. */
    private JobRequest parse(HttpServletRequest request) throws IOException {
        JsonNode body;
        try {
            body = JobJson.MAPPER.readTree(request.getInputStream());
        } catch (JsonProcessingException e) {
            throw new BadRequest(400, null, "the body is not JSON: " + e.getOriginalMessage());
        }
        if (body == null || !body.isObject()) {
            throw new BadRequest(
                    400, null, "the body must be a JSON object such as {\"method\": \"sft\", \"arguments\": {...}}");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!List.of("method", "kind", "arguments", "device").contains(name)) {
                throw new BadRequest(
                        400, name, "unknown field '" + name + "'; a job has method, kind, arguments and device");
            }
        }
        String method = text(body, "method")
                .orElseThrow(() -> new BadRequest(
                        400,
                        "method",
                        "method is missing: the name of a"
                                + " training method (sft, pt, dpo, ...), exporter or evaluator"));
        String kindLabel = text(body, "kind").orElse(ExtensionKind.TRAINING_METHOD.label());
        ExtensionKind kind = JobJson.kindLabelled(kindLabel)
                .orElseThrow(() -> new BadRequest(
                        400, "kind", "unknown kind '" + kindLabel + "'; use training-method, exporter or evaluator"));
        Map<String, Object> arguments = new LinkedHashMap<>();
        JsonNode args = body.get("arguments");
        if (args != null && !args.isNull()) {
            if (!args.isObject()) {
                throw new BadRequest(
                        400, "arguments", "arguments must be an object of options by their ms-swift names");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                arguments.put(e.getKey(), value(e.getKey(), e.getValue()));
            }
        }
        String deviceText = text(body, "device").orElse(String.valueOf(arguments.getOrDefault("device", "cpu")));
        DeviceId device;
        try {
            device = devices.select(deviceText);
        } catch (RuntimeException e) {
            throw new BadRequest(400, "device", e.getMessage());
        }
        return new JobRequest(kind, method, Arguments.of(arguments), device);
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new BadRequest(400, field, field + " must be a non-empty string");
        }
        return Optional.of(node.asText());
    }

    private static Object value(String name, JsonNode node) {
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(v -> list.add(value(name, v)));
            return list;
        }
        if (node.isValueNode() && !node.isNull()) {
            return node.asText();
        }
        throw new BadRequest(
                400, "arguments." + name, "arguments." + name + " must be a string, number, boolean or a list of them");
    }

    /** The option an argument error names ({@code --lora_rank must be ...}, {@code method: no training method ...}). */
    private static String fieldOf(String message) {
        if (message == null) {
            return null;
        }
        if (message.startsWith("method: ")) {
            return "method";
        }
        Matcher option = OPTION.matcher(message);
        return option.find()
                ? "arguments." + (option.group(1) != null ? option.group(1) : option.group(2))
                : "arguments";
    }

    private static void notAllowed(HttpServletResponse response, String allowed) throws IOException {
        response.setHeader("Allow", allowed);
        sendError(response, 405, null, "use " + allowed + " here");
    }

    private static void sendError(HttpServletResponse response, int status, String param, String message)
            throws IOException {
        sendJson(response, status, ErrorBody.of(status, param, message));
    }

    private static void sendJson(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = JobJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
