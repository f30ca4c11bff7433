package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The job service of the built distribution over HTTP, as the README shows it: {@code osprey serve}, the
 * demo submitted with {@code POST /api/jobs}, its events streamed live and replayed from an offset, a job
 * cancelled with {@code DELETE} after its checkpoint, and a server killed mid-job and restarted that lists
 * its jobs, the killed one as interrupted with the checkpoint that {@code osprey sft --server URL
 * --resume_from_checkpoint} continues from on that server.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class JobServiceOverHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path home;

    @Test
    void jobsRunStreamCancelAndOutliveTheServer() throws Exception {
        DistributionCliTest.layOutHome(home);
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        Process server = serve(port, "serve-1.log");
        String done;
        String cancelled;
        String killed;
        try {
            // bad input is refused naming the field, before anything runs
            HttpResponse<String> unknown = post(base, Map.of("method", "sfft"));
            assertEquals(400, unknown.statusCode(), unknown.body());
            assertEquals(
                    "method", JSON.readTree(unknown.body()).at("/error/param").asText(), unknown.body());
            HttpResponse<String> badOption =
                    post(base, Map.of("method", "sft", "arguments", Map.of("max_steps", "many")));
            assertEquals(400, badOption.statusCode(), badOption.body());
            assertEquals(
                    "arguments.max_steps",
                    JSON.readTree(badOption.body()).at("/error/param").asText(),
                    badOption.body());
            assertEquals(
                    404,
                    send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/job-nope"))
                                    .GET())
                            .statusCode());

            // the demo, followed live from its submission to its end
            JsonNode first = submit(base, demo(20, 100, home.resolve("out-done")));
            done = first.get("id").asText();
            CompletableFuture<HttpResponse<String>> live = HTTP.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + done + "/events?from=0"))
                            .timeout(Duration.ofSeconds(120))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            String stream = live.get(150, TimeUnit.SECONDS).body();
            assertTrue(stream.contains("event: step") && stream.contains("\"step\":20,\"total_steps\":20"), stream);
            assertTrue(stream.contains("\"state\":\"done\""), stream);
            assertEquals("done", job(base, done).get("state").asText());
            assertTrue(Files.isDirectory(home.resolve("out-done/checkpoint-20")));
            // replayed from an offset: the same events from there on
            String replay = get(base + "/api/jobs/" + done + "/events?from=3");
            assertTrue(
                    replay.startsWith(": job " + done) && replay.contains("\nid: 3\n") && !replay.contains("\nid: 2\n"),
                    replay);
            assertEquals(stream.substring(stream.indexOf("\nid: 3\n")), replay.substring(replay.indexOf("\nid: 3\n")));

            // cancelled while it runs: it saves the step it was at, then stops
            cancelled = submit(base, demo(300, 1000, home.resolve("out-cancelled")))
                    .get("id")
                    .asText();
            awaitStep(base, cancelled);
            HttpResponse<String> cancel = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + cancelled))
                    .DELETE());
            assertEquals(202, cancel.statusCode(), cancel.body());
            JsonNode after = awaitState(base, cancelled, "cancelled");
            String checkpoint = after.get("last_checkpoint").asText();
            assertTrue(
                    checkpoint.matches(".*checkpoint-\\d+") && !checkpoint.endsWith("checkpoint-300"),
                    after.toString());
            assertTrue(Files.isRegularFile(Path.of(checkpoint, "adapter_model.safetensors")), checkpoint);

            // the server dies (SIGKILL) while a job runs, after its first checkpoint
            killed = submit(base, demo(60, 10, home.resolve("out-killed")))
                    .get("id")
                    .asText();
            assertNotNull(
                    TestPlatform.waitFor(
                            120_000, () -> Files.isDirectory(home.resolve("out-killed/checkpoint-10")) ? true : null),
                    "no checkpoint within 120 s");
        } finally {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }

        Process restarted = serve(port, "serve-2.log");
        try {
            JsonNode list = JSON.readTree(get(base + "/api/jobs"));
            assertEquals("done", stateOf(list, done));
            assertEquals("cancelled", stateOf(list, cancelled));
            assertEquals("interrupted", stateOf(list, killed));
            JsonNode interrupted = job(base, killed);
            String checkpoint = interrupted.get("last_checkpoint").asText();
            assertTrue(
                    interrupted.at("/failure/message").asText().contains("--resume_from_checkpoint " + checkpoint),
                    interrupted.toString());
            assertTrue(
                    get(base + "/api/jobs/" + done + "/events").contains("\"step\":20,\"total_steps\":20"),
                    "past events are kept");

            // osprey sft --server submits the resumed run to this server and follows it with the progress bar
            ChildProcess.Result resumed = DistributionCliTest.ospreyIn(
                    home,
                    "sft",
                    "--server",
                    base,
                    "--model",
                    home.resolve("demo/tiny-chat").toString(),
                    "--dataset",
                    home.resolve("demo/data/qa.jsonl").toString(),
                    "--max_steps",
                    "60",
                    "--save_steps",
                    "10",
                    "--logging_steps",
                    "5",
                    "--output_dir",
                    home.resolve("out-killed").toString(),
                    "--resume_from_checkpoint",
                    checkpoint);
            assertEquals(0, resumed.exit(), resumed.out());
            assertTrue(resumed.out().contains("job job-") && resumed.out().contains("step 60/60"), resumed.out());
            assertTrue(Files.isDirectory(home.resolve("out-killed/checkpoint-60")));
        } finally {
            restarted.destroy();
            assertTrue(restarted.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /**
     * Ctrl-C while {@code osprey sft --server} follows a job, on a terminal ({@code script} gives it one): it
     * asks whether to cancel the job on the server; "y" cancels it there with a checkpoint, "n" leaves it running.
     */
    @Test
    void ctrlCAsksWhetherToCancelTheRemoteJob() throws Exception {
        DistributionCliTest.layOutHome(home);
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        Process server = serve(port, "serve-ctrl-c.log");
        try {
            String cancelled = interruptFollowedJob(base, "out-yes", "y");
            JsonNode after = awaitState(base, cancelled, "cancelled");
            assertTrue(after.get("last_checkpoint").asText().matches(".*checkpoint-\\d+"), after.toString());

            String detached = interruptFollowedJob(base, "out-no", "n");
            assertEquals("running", job(base, detached).get("state").asText(), "answering n leaves the job running");
            assertEquals(
                    202,
                    send(HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + detached))
                                    .DELETE())
                            .statusCode());
            awaitState(base, detached, "cancelled");
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** Follows a long demo job from a terminal, presses Ctrl-C once it trains, answers; returns the job's id. */
    private String interruptFollowedJob(String base, String output, String reply) throws Exception {
        String command = String.join(
                " ",
                home.resolve("bin/osprey").toString(),
                "sft",
                "--server",
                base,
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                home.resolve("demo/data/qa.jsonl").toString(),
                "--max_steps",
                "400",
                "--save_steps",
                "1000",
                "--output_dir",
                home.resolve(output).toString());
        try (ChildProcess follower = ChildProcess.start(new ProcessBuilder("script", "-qefc", command, "/dev/null"))) {
            follower.awaitOutput("Ctrl-C asks", Duration.ofSeconds(60));
            Matcher id = Pattern.compile("job (job-\\S+) on").matcher(follower.output());
            assertTrue(id.find(), follower.output());
            awaitStep(base, id.group(1));
            follower.type("\u0003").awaitOutput("[y/N]", Duration.ofSeconds(30)).type(reply + "\n");
            ChildProcess.Result result = follower.waitFor(Duration.ofSeconds(90));
            assertTrue(
                    result.out()
                            .contains(
                                    reply.equals("y")
                                            ? "job " + id.group(1) + " cancelled on " + base + "; last checkpoint"
                                            : "stopped following job " + id.group(1) + "; it goes on on the server"),
                    result.out());
            return id.group(1);
        }
    }

    /**
     * {@code osprey serve --api_key_file}: with no model served, the same access filter as {@code deploy}'s
     * protects the job and plugin routes (401, OpenAI's error object, without the key; answered with it),
     * while the web UI's page still loads to ask for the key.
     */
    @Test
    void serveTakesAnApiKeyForItsJobAndPluginRoutes() throws Exception {
        DistributionCliTest.layOutHome(home);
        Path keyFile = Files.writeString(home.resolve("api-key"), "serve-key\n");
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        Process server = start(port, "serve-key.log", "/ui/", "serve", "--api_key_file", keyFile.toString());
        try {
            HttpResponse<String> page =
                    send(HttpRequest.newBuilder(URI.create(base + "/ui/")).GET());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<html") || page.body().contains("<!doctype"), page.body());

            HttpResponse<String> list =
                    send(HttpRequest.newBuilder(URI.create(base + "/api/jobs")).GET());
            assertEquals(401, list.statusCode(), list.body());
            assertEquals(
                    "invalid_api_key",
                    JSON.readTree(list.body()).at("/error/code").asText(),
                    list.body());
            assertEquals("Bearer", list.headers().firstValue("WWW-Authenticate").orElse(""));
            String body = JSON.writeValueAsString(demo(2, 100, home.resolve("out-key")));
            HttpResponse<String> anonymousJob = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(401, anonymousJob.statusCode(), anonymousJob.body());
            Path jar = TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0");
            HttpResponse<String> anonymousPlugin =
                    send(HttpRequest.newBuilder(URI.create(base + "/api/plugins?file=length-reward.jar"))
                            .POST(HttpRequest.BodyPublishers.ofFile(jar)));
            assertEquals(401, anonymousPlugin.statusCode(), anonymousPlugin.body());
            assertTrue(Files.notExists(home.resolve("plugins/length-reward.jar")), "refused, yet deployed");

            HttpResponse<String> job = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Authorization", "Bearer serve-key")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(201, job.statusCode(), job.body());
            HttpResponse<String> listed = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Authorization", "Bearer serve-key")
                    .GET());
            assertEquals(200, listed.statusCode(), listed.body());
            assertTrue(
                    listed.body().contains(JSON.readTree(job.body()).get("id").asText()), listed.body());
            HttpResponse<String> plugin =
                    send(HttpRequest.newBuilder(URI.create(base + "/api/plugins?file=length-reward.jar"))
                            .header("Authorization", "Bearer serve-key")
                            .POST(HttpRequest.BodyPublishers.ofFile(jar)));
            assertTrue(plugin.statusCode() / 100 == 2, plugin.statusCode() + " " + plugin.body());
            assertTrue(Files.isRegularFile(home.resolve("plugins/length-reward.jar")));
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** The serving bundle's access filter covers the job routes: with an API key, no key, no jobs. */
    @Test
    void theServersApiKeyProtectsTheJobRoutes() throws Exception {
        DistributionCliTest.layOutHome(home);
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        Process server = start(
                port,
                "deploy.log",
                "/health",
                "deploy",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--api_key",
                "job-key");
        try {
            HttpResponse<String> anonymous =
                    send(HttpRequest.newBuilder(URI.create(base + "/api/jobs")).GET());
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            HttpResponse<String> wrongKey = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Authorization", "Bearer nope")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"method\": \"sft\"}")));
            assertEquals(401, wrongKey.statusCode(), wrongKey.body());
            HttpResponse<String> withKey = send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                    .header("Authorization", "Bearer job-key")
                    .GET());
            assertEquals(200, withKey.statusCode(), withKey.body());
            assertEquals("list", JSON.readTree(withKey.body()).get("object").asText());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    private Process serve(int port, String log) throws Exception {
        return start(port, log, "/api/jobs", "serve");
    }

    /** {@code osprey COMMAND... --port PORT}, its output in {@code log}, once {@code probe} answers 200. */
    private Process start(int port, String log, String probe, String... command) throws Exception {
        List<String> line =
                new java.util.ArrayList<>(List.of(home.resolve("bin/osprey").toString()));
        line.addAll(List.of(command));
        line.addAll(List.of("--port", Integer.toString(port)));
        Process server = new ProcessBuilder(line)
                .redirectErrorStream(true)
                .redirectOutput(home.resolve(log).toFile())
                .start();
        if (TestPlatform.waitFor(60_000, () -> {
                    try {
                        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + probe))
                                                        .GET())
                                                .statusCode()
                                        == 200
                                ? true
                                : null;
                    } catch (IOException e) {
                        return null;
                    }
                })
                == null) {
            server.destroyForcibly();
            throw new AssertionError("the server did not start:\n" + Files.readString(home.resolve(log)));
        }
        return server;
    }

    /** The built-in demo's model and data, {@code steps} steps with a checkpoint every {@code saveSteps}. */
    private Map<String, Object> demo(int steps, int saveSteps, Path out) {
        return Map.of(
                "method",
                "sft",
                "device",
                "cpu",
                "arguments",
                Map.of(
                        "model",
                        home.resolve("demo/tiny-chat").toString(),
                        "dataset",
                        home.resolve("demo/data/qa.jsonl").toString(),
                        "max_steps",
                        steps,
                        "save_steps",
                        saveSteps,
                        "logging_steps",
                        5,
                        "output_dir",
                        out.toString()));
    }

    private static JsonNode submit(String base, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = post(base, body);
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> post(String base, Map<String, Object> body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url)).GET());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    private static JsonNode job(String base, String id) throws Exception {
        return JSON.readTree(get(base + "/api/jobs/" + id));
    }

    private static void awaitStep(String base, String id) throws Exception {
        assertNotNull(
                TestPlatform.waitFor(
                        120_000, () -> job(base, id).at("/progress/step").asLong() > 0 ? true : null),
                "no step within 120 s: " + job(base, id));
    }

    private static JsonNode awaitState(String base, String id, String state) throws Exception {
        JsonNode job = TestPlatform.waitFor(120_000, () -> {
            JsonNode j = job(base, id);
            return j.get("state").asText().equals(state) ? j : null;
        });
        assertNotNull(job, id + " not " + state + " within 120 s: " + job(base, id));
        return job;
    }

    private static String stateOf(JsonNode list, String id) {
        for (JsonNode job : list.get("data")) {
            if (job.get("id").asText().equals(id)) {
                return job.get("state").asText();
            }
        }
        throw new AssertionError(id + " not listed: " + list);
    }
}
