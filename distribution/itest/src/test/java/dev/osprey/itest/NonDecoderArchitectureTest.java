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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A model that is not a decoder of the SPI's layout, arriving as a third party's jar: the GPT-2 example
 * ({@code examples/gpt-architecture}, a {@code LanguageModel} of its own built against the API and the SPI) is
 * dropped into the {@code plugins/} folder of a running {@code osprey serve}; through {@code POST /api/jobs} it
 * is fully fine-tuned twice (the losses fall and repeat bit for bit), LoRA-tuned on its Conv1D layers and
 * DPO-aligned (the reference being the same weights with the adapter off); then {@code osprey deploy} serves the
 * checkpoint through the DJL backend's general (batch-1) path, whose greedy tokens are transformers'.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class NonDecoderArchitectureTest {

    private static final int VOCAB = 128;

    @TempDir
    Path home;

    @Test
    void aLanguageModelOfItsOwnTrainsAlignsAndServesTransformersTokens() throws Exception {
        DistributionCliTest.layOutHome(home);
        Path model = DistributionCliTest.referenceCheckpointWithTokenizer(
                TestPlatform.root().resolve("examples/gpt-architecture/src/test/resources/reference/gpt2"),
                home.resolve("gpt2"),
                VOCAB);
        Path dataset = home.resolve("qa.jsonl");
        Files.writeString(
                dataset,
                "{\"query\": \"w10 w11 w12\", \"response\": \"w13\", \"rejected_response\": \"w40 w41\"}\n"
                        + "{\"query\": \"w20 w21\", \"response\": \"w22 w23\", \"rejected_response\": \"w50\"}\n");
        JsonNode reference = JSON.readTree(model.resolve("reference.json").toFile());

        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        try (ChildProcess server = ChildProcess.start(
                new ProcessBuilder(home.resolve("bin/osprey").toString(), "serve", "--port", Integer.toString(port))
                        .redirectOutput(home.resolve("serve.log").toFile()))) {
            assertNotNull(
                    TestPlatform.waitFor(60_000, () -> get(base + "/api/plugins")),
                    () -> "the server did not start:\n" + log());
            HotDeploy.example(home, base, "gpt-architecture", "gpt2");

            List<ObjectNode> full = train(base, "sft", model, dataset, "full", 1e-3, "full-1");
            assertFalls("full fine-tuning", full);
            assertEquals(full, train(base, "sft", model, dataset, "full", 1e-3, "full-2"), "a repeated run");
            assertTrue(
                    Files.isRegularFile(home.resolve("full-1/checkpoint-6/model.safetensors")),
                    "a full checkpoint of the whole model");

            List<ObjectNode> lora = train(base, "sft", model, dataset, "lora", 1e-2, "lora");
            assertFalls("LoRA", lora);
            JsonNode adapterConfig = JSON.readTree(
                    home.resolve("lora/checkpoint-6/adapter_config.json").toFile());
            assertTrue(adapterConfig.get("target_modules").toString().contains("c_attn"), adapterConfig.toString());
            assertTrue(adapterConfig.get("fan_in_fan_out").asBoolean(), "GPT-2's Conv1D layers: " + adapterConfig);

            List<ObjectNode> dpo = train(base, "dpo", model, dataset, "lora", 1e-2, "dpo");
            assertFalls("DPO", dpo);
            for (ObjectNode step : dpo) {
                assertTrue(step.has("rewards/margins"), step.toString());
            }
            server.stop(Duration.ofSeconds(20));
        }

        // a new process with the jar already in plugins/: serves the base and the LoRA checkpoint beside it
        int servePort = TestPlatform.freePort();
        String api = "http://127.0.0.1:" + servePort;
        try (ChildProcess deploy = ChildProcess.start(new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        model.toString(),
                        "--adapters",
                        "sft=" + home.resolve("lora/checkpoint-6"),
                        "--torch_dtype",
                        "float32",
                        "--port",
                        Integer.toString(servePort))
                .redirectOutput(home.resolve("deploy.log").toFile()))) {
            assertNotNull(
                    TestPlatform.waitFor(120_000, () -> get(api + "/health")),
                    () -> "deploy did not start:\n" + read("deploy.log"));
            JsonNode greedy = reference.get("greedy");
            for (int row = 0; row < 2; row++) {
                List<Integer> prompt = new ArrayList<>();
                JsonNode mask = reference.get("attention_mask").get(row);
                JsonNode ids = reference.get("input_ids").get(row);
                for (int t = 0; t < ids.size(); t++) {
                    if (mask.get(t).asInt() == 1) {
                        prompt.add(ids.get(t).asInt());
                    }
                }
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
                greedy.get("tokens_alone").get(row).forEach(t -> expected.add(t.asInt()));
                String expectedText = post(api + "/detokenize", Map.of("tokens", expected))
                        .get("prompt")
                        .asText();
                // a word-level tokenizer puts a space between the prompt's last word and the continuation's first
                assertEquals(
                        " " + expectedText,
                        completion.at("/choices/0/text").asText(),
                        "row " + row + ": transformers' greedy tokens " + expected + ": " + completion);
            }
            JsonNode adapted = post(
                    api + "/v1/completions",
                    Map.of("model", "sft", "prompt", List.of(1, 17, 93), "max_tokens", 4, "temperature", 0));
            assertEquals(4, adapted.at("/usage/completion_tokens").asInt(), adapted.toString());
            deploy.stop(Duration.ofSeconds(20));
        }
    }

    /** Six steps of {@code method} over both rows at once, through the job service; the step records. */
    private List<ObjectNode> train(
            String base, String method, Path model, Path dataset, String trainType, double lr, String outName)
            throws Exception {
        Path out = home.resolve(outName);
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("model", model.toString());
        arguments.put("dataset", dataset.toString());
        arguments.put("template", "chatml");
        arguments.put("train_type", trainType);
        arguments.put("lora_rank", 4);
        arguments.put("learning_rate", lr);
        arguments.put("per_device_train_batch_size", 2);
        arguments.put("max_steps", 6);
        arguments.put("save_steps", 6);
        arguments.put("logging_steps", 1);
        arguments.put("output_dir", out.toString());
        JsonNode job = submit(base, Map.of("method", method, "device", "cpu", "arguments", arguments));
        String id = job.get("id").asText();
        JsonNode done = TestPlatform.waitFor(180_000, () -> {
            JsonNode j = JSON.readTree(get(base + "/api/jobs/" + id));
            return j.get("state").asText().matches("done|failed|cancelled") ? j : null;
        });
        assertNotNull(done, () -> method + " " + trainType + " did not end within 180 s:\n" + log());
        assertEquals("done", done.get("state").asText(), method + " " + trainType + ": " + done);
        List<ObjectNode> records = ReproducibleTrainingTest.records(out);
        assertEquals(6, records.size(), "one line per step: " + records);
        return records;
    }

    private static void assertFalls(String what, List<ObjectNode> steps) {
        double first = steps.get(0).get("loss").asDouble();
        double last = steps.get(steps.size() - 1).get("loss").asDouble();
        assertTrue(Double.isFinite(first) && last < first, what + ": the loss falls from " + first + " to " + last);
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
