package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The web UI in a real browser: {@code distribution/itest/node-webui} (node:test with playwright-core, driving
 * Debian's Chromium, no browser download) against {@code osprey deploy} of the built distribution: it launches
 * the demo SFT from the Train form, watches the loss curve grow, cancels and resumes the job, lists the job's
 * checkpoints (Chat with it loads one as an adapter), chats with the served model (with the job's checkpoint loaded
 * as an adapter, compared side by side with the base model, and with an image on the demo vision model; under
 * {@code osprey serve}, with no model served, the Chat page serves the demo model first), lists the plugins (a faulty one with its failure), uploads and removes
 * the example reward plugin and switches backends, taking a screenshot of each page. Its node modules and Chromium are
 * installed beforehand, by .ci/run (README, "Run the tests"), never by the build.
 */
class WebUiBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("osprey.chromium", "/usr/bin/chromium"));

    @TempDir
    Path home;

    @Test
    void theDemoTrainsFromTheBrowserAndTheServedModelChats() throws Exception {
        Path suite = TestPlatform.root().resolve("distribution/itest/node-webui");
        assertTrue(
                Files.isRegularFile(suite.resolve("node_modules/playwright-core/package.json")),
                "playwright-core is not installed in " + suite + "; run once from the repository root (Node 18+,"
                        + " reaches the npm registry; .ci/run does it): npm ci --prefix distribution/itest/node-webui"
                        + " --no-audit --no-fund");
        assertTrue(
                Files.isExecutable(CHROMIUM),
                CHROMIUM + " is missing: install Debian's Chromium (.ci/run does it): apt-get install -y chromium"
                        + " (or point -Dosprey.chromium at another Chromium)");
        DistributionCliTest.layOutHome(home);
        // a plugin that fails to start, whose reason the Plugins page must show
        Files.copy(
                TestPlatform.exampleJar("faulty-plugin", "faulty-reward", "1.0.0"),
                home.resolve("plugins/faulty-reward.jar"));
        // screenshots of each page: docs/webui-*.png when refreshing the README's pictures, else under target/
        Path shots = Path.of(System.getProperty(
                        "osprey.webui.screenshots",
                        TestPlatform.root()
                                .resolve("distribution/itest/target/webui-screenshots")
                                .toString()))
                .toAbsolutePath();
        ProcessBuilder npmTest = new ProcessBuilder("npm", "test").directory(suite.toFile());
        npmTest.environment()
                .putAll(Map.of(
                        "OSPREY_HOME", home.toString(),
                        "CHROMIUM", CHROMIUM.toString(),
                        "OSPREY_SCREENSHOTS", shots.toString(),
                        "OSPREY_FAULTY_PLUGIN", "com.example.osprey.faulty-reward",
                        // uploaded and removed through the Plugins page
                        "OSPREY_REWARD_PLUGIN",
                                TestPlatform.exampleJar("reward-plugin", "length-reward", "1.0.0")
                                        .toString()));
        Result tests = ChildProcess.run(npmTest, Duration.ofMinutes(15));
        assertEquals(0, tests.exit(), tests.out());
        assertTrue(tests.out().contains("# fail 0") && !tests.out().contains("# pass 0"), tests.out());
        assertTrue(tests.out().contains("# skipped 0"), "every step ran\n" + tests.out());
        for (String page : new String[] {"train", "job", "jobs", "chat", "plugins"}) {
            assertTrue(Files.size(shots.resolve("webui-" + page + ".png")) > 10_000, page + " screenshot");
        }
    }

    /**
     * {@code osprey web-ui} (ms-swift's name) is the server with the UI: the root leads to it, and the Train form's
     * description is the method's, with the shipped demo as its preset.
     */
    @Test
    void webUiServesThePagesAndTheFormDescription() throws Exception {
        DistributionCliTest.layOutHome(home);
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        try (ChildProcess server = ChildProcess.start(
                new ProcessBuilder(home.resolve("bin/osprey").toString(), "web-ui", "--port", Integer.toString(port))
                        .redirectOutput(home.resolve("web-ui.log").toFile()))) {
            HttpResponse<String> page = TestPlatform.waitFor(60_000, () -> {
                try {
                    HttpResponse<String> r = http.send(
                            HttpRequest.newBuilder(URI.create(base + "/ui/")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() == 200 ? r : null;
                } catch (java.io.IOException e) {
                    return null;
                }
            });
            if (page == null) {
                throw new AssertionError(
                        "osprey web-ui did not start:\n" + Files.readString(home.resolve("web-ui.log")));
            }
            assertTrue(page.body().contains("<div id=\"app\">"), page.body());
            assertTrue(page.body().contains("/ui/assets/"), "no CDN: the scripts come from the bundle\n" + page.body());
            HttpResponse<String> root = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(302, root.statusCode());
            assertTrue(root.headers().firstValue("Location").orElseThrow().endsWith("/ui/"));
            assertEquals(
                    404,
                    http.send(
                                    HttpRequest.newBuilder(URI.create(base + "/no-such-page"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());

            HttpResponse<String> form = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/webui/methods/sft"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, form.statusCode(), form.body());
            JsonNode sft = new ObjectMapper().readTree(form.body());
            JsonNode rank = null;
            for (JsonNode argument : sft.get("arguments")) {
                if (argument.get("name").asText().equals("lora_rank")) {
                    rank = argument;
                }
            }
            assertEquals("integer", rank.get("type").asText(), form.body());
            assertEquals("8", rank.get("default").get(0).asText(), "the method's default, as `osprey sft --help`");
            assertEquals("16", sft.get("preset").get("lora_rank").asText(), "the demo's value");
            assertEquals(
                    home.resolve("demo/tiny-chat").toString(),
                    sft.get("preset").get("model").asText(),
                    "resolved against the Osprey home, as the CLI does");

            HttpResponse<String> invalid = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/webui/methods/sft/validate"))
                            .POST(HttpRequest.BodyPublishers.ofString(new ObjectMapper()
                                    .writeValueAsString(Map.of(
                                            "arguments",
                                            Map.of(
                                                    "model",
                                                    home.resolve("demo/tiny-chat")
                                                            .toString(),
                                                    "dataset",
                                                    home.resolve("demo/data/qa.jsonl")
                                                            .toString(),
                                                    "train_type",
                                                    "full",
                                                    "quant_bits",
                                                    "4")))))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, invalid.statusCode(), invalid.body());
            // the method's own message (as `osprey sft` prints it), the option at fault as the param
            assertTrue(invalid.body().contains("contradicts --train_type full"), invalid.body());
            assertEquals(
                    "arguments.quant_bits",
                    new ObjectMapper()
                            .readTree(invalid.body())
                            .get("error")
                            .get("param")
                            .asText());
            HttpResponse<String> unknown = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/webui/methods/no-such-method"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, unknown.statusCode(), unknown.body());
            assertTrue(unknown.body().contains("no-such-method"), unknown.body());
            server.stop(Duration.ofSeconds(20));
        }
    }
}
