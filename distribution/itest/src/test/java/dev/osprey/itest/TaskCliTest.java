package dev.osprey.itest;

import static dev.osprey.itest.JsonHttp.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.itest.ChildProcess.Result;

/**
 * The tasks beyond causal LM through the built {@code bin/osprey}: {@code osprey sft --task_type embedding} and
 * {@code seq_cls} on the bare Qwen3Model fixture of {@code tools/make-task-fixtures.py}, then
 * {@code osprey deploy --task_type embedding} serving {@code /v1/embeddings} for the base and the trained adapter.
 */
class TaskCliTest {

    @TempDir
    static Path home;

    static final Path MODEL = TestPlatform.root().resolve("bundles/train/src/test/resources/tasks/embedding-qwen3");

    @BeforeAll
    static void layOutHome() throws Exception {
        DistributionCliTest.layOutHome(home);
    }

    static Result osprey(String... args) throws Exception {
        return DistributionCliTest.ospreyIn(home, args);
    }

    @Test
    void anEmbeddingModelTrainsThenServesEmbeddingsWithItsAdapter() throws Exception {
        Path data = Files.writeString(home.resolve("pairs.jsonl"), """
                {"query": "what is the capital of china", "response": "beijing", "rejected_response": ["paris"]}
                {"query": "what is gravity", "response": "a force", "rejected_response": ["a city"]}
                {"messages": [{"role": "user", "content": "two plus two"}], "positive_messages": [[{"role": "user", "content": "four"}]]}
                {"query": "the colour of the sky", "response": "blue", "rejected_response": ["four"]}
                """);
        Path out = home.resolve("emb");
        Result sft = osprey(
                "sft",
                "--task_type",
                "embedding",
                "--model",
                MODEL.toString(),
                "--dataset",
                data.toString(),
                "--max_steps",
                "3",
                "--per_device_train_batch_size",
                "2",
                "--learning_rate",
                "1e-3",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        assertTrue(sft.out().contains("embedding (infonce, temperature 0.01"), sft.out());
        Path checkpoint = out.resolve("checkpoint-3");
        assertTrue(Files.readString(checkpoint.resolve("adapter_config.json")).contains("FEATURE_EXTRACTION"));

        int port = TestPlatform.freePort();
        String base = "http://127.0.0.1:" + port;
        try (ChildProcess server = ChildProcess.start(new ProcessBuilder(
                        home.resolve("bin/osprey").toString(),
                        "deploy",
                        "--model",
                        MODEL.toString(),
                        "--served_model_name",
                        "emb",
                        "--task_type",
                        "embedding",
                        "--adapters",
                        "trained=" + checkpoint,
                        "--port",
                        Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("deploy.log").toFile()))) {
            if (TestPlatform.waitFor(300_000, () -> get(base + "/health")) == null) {
                throw new AssertionError(
                        "osprey deploy did not start:\n" + Files.readString(home.resolve("deploy.log")));
            }
            JsonNode baseModel = JsonHttp.post(base + "/v1/embeddings", Map.of("model", "emb", "input", "hello world"));
            JsonNode adapted =
                    JsonHttp.post(base + "/v1/embeddings", Map.of("model", "trained", "input", List.of("hello world")));
            JsonNode a = baseModel.at("/data/0/embedding");
            JsonNode b = adapted.at("/data/0/embedding");
            assertEquals(a.size(), b.size());
            double norm = 0;
            double difference = 0;
            for (int i = 0; i < a.size(); i++) {
                norm += b.get(i).asDouble() * b.get(i).asDouble();
                difference += Math.abs(a.get(i).asDouble() - b.get(i).asDouble());
            }
            assertEquals(1.0, norm, 1e-4);
            assertNotEquals(0.0, difference, "the trained adapter changes the embedding");
            HttpResponse<String> chat = JsonHttp.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"emb\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")));
            assertEquals(400, chat.statusCode(), chat.body());
            assertTrue(chat.body().contains("/v1/embeddings"), chat.body());
        }
    }

    @Test
    void aClassifierTrainsFromTheCommandLineAndBadLabelsAreNamed() throws Exception {
        Path data = Files.writeString(home.resolve("labels.jsonl"), """
                {"messages": [{"role": "user", "content": "great film"}], "label": 1}
                {"messages": [{"role": "user", "content": "awful film"}], "label": 0}
                """);
        Path out = home.resolve("cls");
        Result sft = osprey(
                "sft",
                "--task_type",
                "seq_cls",
                "--num_labels",
                "2",
                "--template",
                "chatml",
                "--model",
                MODEL.toString(),
                "--dataset",
                data.toString(),
                "--max_steps",
                "2",
                "--train_type",
                "full",
                "--output_dir",
                out.toString());
        assertEquals(0, sft.exit(), sft.out());
        String config = Files.readString(out.resolve("checkpoint-2/config.json"));
        assertTrue(config.contains("Qwen3ForSequenceClassification") && config.contains("\"num_labels\" : 2"), config);

        Result missing = osprey(
                "sft",
                "--task_type",
                "seq_cls",
                "--template",
                "chatml",
                "--model",
                MODEL.toString(),
                "--dataset",
                data.toString(),
                "--output_dir",
                home.resolve("cls2").toString());
        assertNotEquals(0, missing.exit());
        assertTrue(missing.out().contains("--num_labels"), missing.out());
    }
}
