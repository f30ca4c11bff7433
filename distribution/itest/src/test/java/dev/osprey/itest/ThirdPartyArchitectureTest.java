package dev.osprey.itest;

import static dev.osprey.itest.JsonHttp.JSON;
import static dev.osprey.itest.JsonHttp.get;
import static dev.osprey.itest.JsonHttp.post;
import static dev.osprey.itest.JsonHttp.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.itest.ChildProcess.Result;

/**
 * A model architecture the platform lacks, arriving as a third party's jar: the OLMo example
 * ({@code examples/olmo-architecture}, built against the API and the model-family SPI only) is dropped into
 * the {@code plugins/} folder of a running {@code osprey serve}, listed by {@code osprey plugins}, trains a
 * few LoRA SFT steps on the tiny checkpoint transformers wrote for it (through {@code POST /api/jobs}), and
 * is served by {@code osprey deploy}, whose {@code /v1/completions} gives transformers' greedy tokens.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ThirdPartyArchitectureTest {

    private static final int VOCAB = 128;

    @TempDir
    Path home;

    @Test
    void hotDeployedArchitectureTrainsAndServesTransformersTokens() throws Exception {
        DistributionCliTest.layOutHome(home);
        Path model = DistributionCliTest.referenceCheckpointWithTokenizer(
                TestPlatform.root().resolve("examples/olmo-architecture/src/test/resources/reference/olmo"),
                home.resolve("olmo"),
                VOCAB);
        Path dataset = home.resolve("qa.jsonl");
        Files.writeString(
                dataset,
                "{\"query\": \"w10 w11 w12\", \"response\": \"w13\"}\n"
                        + "{\"query\": \"w20 w21\", \"response\": \"w22 w23\"}\n");
        JsonNode reference = JSON.readTree(model.resolve("reference.json").toFile());
        Path out = home.resolve("olmo-sft");

        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        try (ChildProcess server = ChildProcess.start(
                new ProcessBuilder(home.resolve("bin/osprey").toString(), "serve", "--port", Integer.toString(port))
                        .redirectOutput(home.resolve("serve.log").toFile()))) {
            assertNotNull(
                    TestPlatform.waitFor(60_000, () -> get(base + "/api/plugins")),
                    () -> "the server did not start:\n" + log());
            HotDeploy.example(home, base, "olmo-architecture", "com.example.osprey.olmo-architecture", "olmo");

            Result listed = DistributionCliTest.ospreyIn(home, "plugins", "--server", base);
            assertEquals(0, listed.exit(), listed.out());
            assertTrue(
                    listed.out().contains("model-architecture:olmo")
                            && listed.out().contains("com.example.osprey.olmo-architecture"),
                    listed.out());

            JsonNode job = submit(
                    base,
                    Map.of(
                            "method",
                            "sft",
                            "device",
                            "cpu",
                            "arguments",
                            Map.of(
                                    "model",
                                    model.toString(),
                                    "dataset",
                                    dataset.toString(),
                                    "template",
                                    "chatml",
                                    "train_type",
                                    "lora",
                                    "lora_rank",
                                    4,
                                    "learning_rate",
                                    1e-2,
                                    "max_steps",
                                    4,
                                    "save_steps",
                                    4,
                                    "logging_steps",
                                    1,
                                    "output_dir",
                                    out.toString())));
            String id = job.get("id").asText();
            JsonNode done = TestPlatform.waitFor(180_000, () -> {
                JsonNode j = JSON.readTree(get(base + "/api/jobs/" + id));
                return j.get("state").asText().matches("done|failed|cancelled") ? j : null;
            });
            assertNotNull(done, () -> "the SFT job did not end within 180 s:\n" + log());
            assertEquals("done", done.get("state").asText(), done.toString());
            server.stop(Duration.ofSeconds(20));
        }
        Path checkpoint = out.resolve("checkpoint-4");
        assertTrue(Files.isRegularFile(checkpoint.resolve("adapter_model.safetensors")), "no adapter in " + checkpoint);
        JsonNode adapterConfig =
                JSON.readTree(checkpoint.resolve("adapter_config.json").toFile());
        assertTrue(adapterConfig.get("target_modules").toString().contains("q_proj"), adapterConfig.toString());
        List<String> logged = Files.readAllLines(out.resolve("logging.jsonl"));
        assertEquals(4, logged.size(), "one line per step: " + logged);
        for (String line : logged) {
            double loss = JSON.readTree(line).get("loss").asDouble();
            assertTrue(Double.isFinite(loss) && loss > 0, line);
        }

        // a new process with the jar already in plugins/: serves the checkpoint, and the adapter beside it
        int servePort = TestPlatform.freePort();
        String api = "http://127.0.0.1:" + servePort;
        try (ChildProcess deploy = ChildProcess.start(new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        model.toString(),
                        "--adapters",
                        "sft=" + checkpoint,
                        "--torch_dtype",
                        "float32",
                        "--port",
                        Integer.toString(servePort))
                .redirectOutput(home.resolve("deploy.log").toFile()))) {
            assertNotNull(
                    TestPlatform.waitFor(120_000, () -> get(api + "/health")),
                    () -> "deploy did not start:\n" + read("deploy.log"));
            JsonNode greedy = reference.get("greedy");
            List<Integer> prompt = new ArrayList<>();
            reference.get("input_ids").get(0).forEach(t -> prompt.add(t.asInt()));
            JsonNode completion = post(
                    api + "/v1/completions",
                    Map.of(
                            "prompt",
                            prompt,
                            "max_tokens",
                            greedy.get("max_new_tokens").asInt(),
                            "temperature",
                            0));
            List<Integer> expected = new ArrayList<>();
            greedy.get("tokens").get(0).forEach(t -> expected.add(t.asInt()));
            String expectedText = post(api + "/detokenize", Map.of("tokens", expected))
                    .get("prompt")
                    .asText();
            // a word-level tokenizer puts a space between the prompt's last word and the continuation's first
            assertEquals(
                    " " + expectedText,
                    completion.at("/choices/0/text").asText(),
                    "transformers' greedy tokens " + expected + ": " + completion);

            JsonNode adapted = post(
                    api + "/v1/completions",
                    Map.of("model", "sft", "prompt", prompt, "max_tokens", 4, "temperature", 0));
            assertEquals(4, adapted.at("/usage/completion_tokens").asInt(), adapted.toString());
            deploy.stop(Duration.ofSeconds(20));
        }
    }

    private String log() {
        return read("serve.log");
    }

    /** A log of the test's processes, or why it cannot be read (for failure messages). */
    private String read(String file) {
        try {
            return Files.readString(home.resolve(file));
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }
}
