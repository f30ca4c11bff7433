package dev.osprey.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The {@code merge_lora} exporter of the built distribution as a job: {@code osprey export --merge_lora true} runs it
 * through the job service in process and writes a folder whose logits are the base model's with the adapter (the
 * base found from the adapter's adapter_config.json, as ms-swift does); {@code POST /api/jobs} with the exporter's
 * name runs it on a server and records the folder written as the job's result.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ExportJobTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INPUT_IDS = "[[3,5,9,11,4,6,12,20]]";

    @TempDir
    static Path home;

    static Path adapter;

    /** An adapter of a few steps on the demo model. */
    @BeforeAll
    static void trainAnAdapter() throws Exception {
        DistributionCliTest.layOutHome(home);
        Path out = home.resolve("sft");
        ChildProcess.Result sft = DistributionCliTest.ospreyIn(
                home,
                "sft",
                "--model",
                home.resolve("demo/tiny-chat").toString(),
                "--dataset",
                home.resolve("demo/data/qa.jsonl").toString(),
                "--max_steps",
                "5",
                "--save_steps",
                "5",
                "--learning_rate",
                "0.01",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        adapter = out.resolve("checkpoint-5");
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")), sft.out());
    }

    @Test
    void exportMergeLoraRunsAsAJobAndGivesTheLogitsOfTheBaseWithTheAdapter() throws Exception {
        ChildProcess.Result export =
                DistributionCliTest.ospreyIn(home, "export", "--adapters", adapter.toString(), "--merge_lora", "true");
        assertEquals(0, export.exit(), export.out());
        Path merged = adapter.resolveSibling("checkpoint-5-merged");
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(merged.resolve(file)), file + " in " + merged + "\n" + export.out());
        }
        assertFalse(Files.exists(merged.resolve("adapter_config.json")), "a merged folder is a full model");

        float[] withAdapter =
                logits("--model", home.resolve("demo/tiny-chat").toString(), "--adapters", adapter.toString());
        float[] base = logits("--model", home.resolve("demo/tiny-chat").toString());
        float[] fromMerged = logits("--model", merged.toString());
        assertEquals(withAdapter.length, fromMerged.length);
        double maxDiff = 0;
        double adapterEffect = 0;
        for (int i = 0; i < withAdapter.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(withAdapter[i] - fromMerged[i]));
            adapterEffect = Math.max(adapterEffect, Math.abs(withAdapter[i] - base[i]));
        }
        assertTrue(maxDiff < 1e-4, "merged vs. base with adapter: max difference " + maxDiff);
        assertTrue(adapterEffect > 1e-3, "the adapter changes the logits: " + adapterEffect);

        ChildProcess.Result again =
                DistributionCliTest.ospreyIn(home, "export", "--adapters", adapter.toString(), "--merge_lora", "true");
        assertEquals(2, again.exit(), again.out());
        assertTrue(again.out().contains("is not empty"), "an export never overwrites: " + again.out());
        ChildProcess.Result nothing = DistributionCliTest.ospreyIn(home, "export", "--adapters", adapter.toString());
        assertEquals(2, nothing.exit(), nothing.out());
        assertTrue(nothing.out().contains("--merge_lora"), nothing.out());
    }

    @Test
    void postApiJobsRunsTheExporterAndRecordsTheFolder() throws Exception {
        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        Path target = home.resolve("merged-over-http");
        Process server = new ProcessBuilder(
                        home.resolve("bin/osprey").toString(), "serve", "--port", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("serve.log").toFile())
                .start();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            assertNotNull(
                    TestPlatform.waitFor(60_000, () -> {
                        try {
                            return http.send(
                                                            HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                                                                    .GET()
                                                                    .build(),
                                                            HttpResponse.BodyHandlers.ofString())
                                                    .statusCode()
                                            == 200
                                    ? true
                                    : null;
                        } catch (IOException e) {
                            return null;
                        }
                    }),
                    () -> "the server did not start: " + read(home.resolve("serve.log")));
            String body = JSON.writeValueAsString(Map.of(
                    "method",
                    "merge_lora",
                    "kind",
                    "exporter",
                    "device",
                    "cpu",
                    "arguments",
                    Map.of("adapters", adapter.toString(), "output_dir", target.toString())));
            HttpResponse<String> submitted = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, submitted.statusCode(), submitted.body());
            String id = JSON.readTree(submitted.body()).get("id").asText();
            JsonNode job = TestPlatform.waitFor(240_000, () -> {
                JsonNode j = JSON.readTree(http.send(
                                HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
                return List.of("done", "failed", "cancelled")
                                .contains(j.get("state").asText())
                        ? j
                        : null;
            });
            assertNotNull(job, "the export job did not end");
            assertEquals("done", job.get("state").asText(), job.toString());
            assertEquals(target.toString(), job.get("result").asText(), job.toString());
            assertTrue(Files.isRegularFile(target.resolve("model.safetensors"))
                    && Files.isRegularFile(target.resolve("tokenizer.json")));

            // osprey export --server submits the same job kind to the server and follows it
            Path remote = home.resolve("merged-by-server");
            ChildProcess.Result exported = DistributionCliTest.ospreyIn(
                    home,
                    "export",
                    "--server",
                    base,
                    "--adapters",
                    adapter.toString(),
                    "--merge_lora",
                    "true",
                    "--output_dir",
                    remote.toString());
            assertEquals(0, exported.exit(), exported.out());
            assertTrue(exported.out().contains("job job-") && exported.out().contains(base), exported.out());
            assertTrue(Files.isRegularFile(remote.resolve("model.safetensors")), exported.out());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** The logits of {@link #INPUT_IDS} under {@code osprey logits} with the given model options. */
    private static float[] logits(String... model) throws Exception {
        Path file = Files.createTempFile(home, "logits", ".json");
        List<String> args = new ArrayList<>(List.of("logits", "--input_ids", INPUT_IDS, "--output", file.toString()));
        args.addAll(List.of(model));
        ChildProcess.Result r = DistributionCliTest.ospreyIn(home, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out());
        JsonNode rows = JSON.readTree(file.toFile()).get("logits");
        List<Float> values = new ArrayList<>();
        rows.forEach(row -> row.forEach(position -> position.forEach(v -> values.add((float) v.asDouble()))));
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
