package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobFailure;
import dev.osprey.api.jobs.JobState;
import dev.osprey.api.plugin.ExtensionKind;

/**
 * A training command's job submitted to a running {@code osprey serve} ({@code --server URL}) and followed
 * through its event stream with the same progress bar as a job of this process. Paths on the command line
 * are made absolute, since the server resolves them in its own working folder (the same machine is
 * assumed). Stopping this command (Ctrl-C) asks on a terminal whether to cancel the job on the server too
 * or only to stop following it ({@link FollowInterrupt}); without a terminal the job goes on.
 */
final class RemoteJob {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
    /** How long Ctrl-C's cancel waits for the job to have saved its checkpoint and stopped. */
    private static final int CANCEL_WAIT_SECONDS = 60;
    /** The server's API key, when it has one, as {@code osprey deploy} reads it. */
    static final String API_KEY_VARIABLE = "OSPREY_API_KEY";
    /** The description of the training commands' {@code --server} option. */
    static final String SERVER_OPTION =
            "submit the job to this running osprey serve and follow it here (its API key from $" + API_KEY_VARIABLE
                    + "); paths are made absolute for it";

    private RemoteJob() {}

    /**
     * Submits a job of {@code kind} (a training method, an exporter, ...) named {@code method} and follows it.
     *
     * @return the command's exit code
     */
    static int run(
            String server,
            PrintWriter out,
            ExtensionKind kind,
            String method,
            Map<String, Object> values,
            String device,
            int loggingSteps)
            throws IOException, InterruptedException {
        String base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("method", method);
        body.put("kind", kind.label());
        body.put("device", device);
        body.put("arguments", absolutePaths(values));
        HttpResponse<String> submitted = send(
                client,
                request(base + "/api/jobs")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))),
                base);
        JsonNode job = JSON.readTree(submitted.body());
        if (submitted.statusCode() != 201) {
            String message = job.at("/error/message").asText(submitted.body());
            if (submitted.statusCode() == 400) {
                throw new IllegalArgumentException(message);
            }
            throw new IllegalStateException(
                    base + " refused the job (HTTP " + submitted.statusCode() + "): " + message);
        }
        String id = job.get("id").asText();
        out.println(
                "job " + id + " on " + base + " (Ctrl-C asks whether to cancel it there or only stop following it)");
        out.flush();
        try (FollowInterrupt interrupt = FollowInterrupt.install(out, id, () -> cancel(client, base, id))) {
            return follow(client, base, id, out, loggingSteps);
        }
    }

    /**
     * Asks the server to cancel the job (it saves a checkpoint, then stops), waits a while for it to stop and
     * says where it ended, so that the user knows what to resume from.
     */
    private static String cancel(HttpClient client, String base, String id) throws IOException, InterruptedException {
        HttpResponse<String> answer =
                send(client, request(base + "/api/jobs/" + id).DELETE(), base);
        if (answer.statusCode() != 202) {
            return "the server did not cancel job " + id + " (HTTP " + answer.statusCode() + "): " + answer.body();
        }
        for (long deadline = System.nanoTime()
                        + Duration.ofSeconds(CANCEL_WAIT_SECONDS).toNanos();
                System.nanoTime() < deadline; ) {
            JsonNode job = JSON.readTree(
                    send(client, request(base + "/api/jobs/" + id).GET(), base).body());
            if (JobState.valueOf(job.get("state").asText().toUpperCase(Locale.ROOT))
                    .isFinal()) {
                JsonNode checkpoint = job.get("last_checkpoint");
                return "job " + id + " " + job.get("state").asText() + " on " + base
                        + (checkpoint == null || checkpoint.isNull() ? "" : "; last checkpoint " + checkpoint.asText());
            }
            Thread.sleep(500);
        }
        return "job " + id + " is cancelling on " + base + ": it saves a checkpoint, then stops";
    }

    /** Streams the job's events into the progress bar until it ends; returns the command's exit code. */
    private static int follow(HttpClient client, String base, String id, PrintWriter out, int loggingSteps)
            throws IOException, InterruptedException {
        JsonNode job;
        TrainingProgress progress = new TrainingProgress(out, System.console() != null, loggingSteps);
        long next = 0;
        JobState state = JobState.QUEUED;
        do { // a dropped stream is taken up again where it stopped
            HttpResponse<Stream<String>> events = client.send(
                    request(base + "/api/jobs/" + id + "/events?from=" + next)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofLines());
            try (Stream<String> lines = events.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.startsWith("data: ")) {
                        JobEvent event = JobEvent.fromMap(JSON.readValue(line.substring(6), MAP));
                        progress.accept(event);
                        next = event.sequence() + 1;
                    }
                }
            }
            job = JSON.readTree(
                    send(client, request(base + "/api/jobs/" + id).GET(), base).body());
            state = JobState.valueOf(job.get("state").asText().toUpperCase(Locale.ROOT));
        } while (!state.isFinal());
        JsonNode failure = job.get("failure");
        return LocalJob.exitCode(
                id,
                state,
                failure == null
                        ? Optional.empty()
                        : Optional.of(new JobFailure(
                                failure.get("message").asText(),
                                failure.get("bad_input").asBoolean())));
    }

    private static HttpRequest.Builder request(String url) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url));
        String key = System.getenv(API_KEY_VARIABLE);
        if (key != null && !key.isBlank()) {
            builder.header("Authorization", "Bearer " + key.trim());
        }
        return builder;
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest.Builder request, String base)
            throws IOException, InterruptedException {
        try {
            return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("no Osprey server answers at " + base + "; start one with osprey serve");
        }
    }

    /** {@code output_dir} and every value naming an existing file or folder here made absolute; a mapping as its JSON. */
    static Map<String, Object> absolutePaths(Map<String, Object> values) {
        Map<String, Object> absolute = new LinkedHashMap<>();
        values.forEach((name, value) -> {
            if (value instanceof List<?> list) {
                List<Object> each = new ArrayList<>();
                list.forEach(v -> each.add(absolute(name, v)));
                absolute.put(name, each);
            } else {
                absolute.put(
                        name,
                        value instanceof Map<?, ?> map ? json(map) : absolute(name, value)); // as --columns is typed
            }
        });
        return absolute;
    }

    private static String json(Map<?, ?> map) {
        try {
            return JSON.writeValueAsString(map);
        } catch (IOException e) {
            throw new IllegalArgumentException(map + " cannot be sent as JSON", e);
        }
    }

    private static Object absolute(String name, Object value) {
        if (value == null) {
            return null;
        }
        String text = String.valueOf(value);
        try {
            Path path = Path.of(text);
            if (!path.isAbsolute() && (name.equals("output_dir") || Files.exists(path))) {
                return path.toAbsolutePath().normalize().toString();
            }
        } catch (InvalidPathException e) {
            // not a path
        }
        return value instanceof Number || value instanceof Boolean ? value : text;
    }
}
