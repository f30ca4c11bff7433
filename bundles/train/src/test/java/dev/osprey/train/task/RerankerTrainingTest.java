package dev.osprey.train.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.dataset.DatasetException;
import dev.osprey.model.load.HfModel;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;

/**
 * {@code --task_type reranker} (a one-label score head) and {@code generative_reranker} (Qwen3-Reranker's yes/no
 * logits) trained with ms-swift's pointwise and listwise losses on the reranker fixture (a Qwen3 model whose
 * tokenizer holds "yes" and "no"), in both of ms-swift's row formats (query/response/rejected_response, and messages
 * with several positive_messages): each positive ends up scored above its hard negatives, and the checkpoints have
 * the task's layout.
 */
class RerankerTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    static final String ROWS = """
            {"query": "what is the capital of china", "response": "the capital of china is beijing", \
            "rejected_response": ["gravity is a force that attracts two bodies", "china is a country in asia"]}
            {"query": "what is a force", "response": "gravity is a force that attracts two bodies", \
            "rejected_response": ["the capital of china is beijing", "china is a country in asia"]}
            {"messages": [{"role": "user", "content": "china"}], "positive_messages": \
            [[{"role": "assistant", "content": "china is a country in asia"}], \
            [{"role": "assistant", "content": "the capital of china is beijing"}]], "negative_messages": \
            [[{"role": "assistant", "content": "gravity is a force that attracts two bodies"}]]}
            """;

    static ModelProvider fixture() {
        return new ModelProvider() {
            @Override
            public HfModel load(SftArguments args, NDManager manager) throws IOException {
                return TaskFixtures.load("reranker-qwen3", manager);
            }

            @Override
            public PromptEncoder prompts(HfModel model) {
                throw new UnsupportedOperationException("a reranker reads no chat template");
            }

            @Override
            public void close() {}
        };
    }

    private SftArguments args(String task, String loss, String trainType) throws IOException {
        return new SftArguments()
                .model("reranker-qwen3")
                .dataset(Files.writeString(dir.resolve("rerank.jsonl"), ROWS).toString())
                .taskType(task)
                .lossType(loss)
                .trainType(trainType)
                .maxLength(128)
                .perDeviceTrainBatchSize(2)
                .learningRate(1e-2)
                .maxSteps(12)
                .warmupRatio(0)
                .saveSteps(12)
                .outputDir(dir.resolve("out-" + task + "-" + loss));
    }

    @Test
    void generativeListwiseRanksThePositiveFirstAndSavesACausalLmAdapter() throws Exception {
        SftJob.Result result =
                new SftJob(args("generative_reranker", "listwise_reranker", "lora"), fixture()).train(manager);
        double first = result.steps().get(0).loss();
        assertTrue(result.finalLoss() < first / 2, "listwise " + first + " -> " + result.finalLoss());
        assertEquals(
                1.0,
                ((Number) result.steps()
                                .get(result.steps().size() - 1)
                                .metrics()
                                .get("acc"))
                        .doubleValue());
        JsonNode config = new ObjectMapper()
                .readTree(result.lastCheckpoint().resolve("adapter_config.json").toFile());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
    }

    @Test
    void scoreHeadPointwiseLearnsAndSavesAOneLabelClassifier() throws Exception {
        SftJob.Result result = new SftJob(
                        args("reranker", "pointwise_reranker", "full")
                                .maxSteps(24)
                                .saveSteps(24),
                        fixture())
                .train(manager);
        double first = result.steps().get(0).loss();
        // the mean over the last three steps: two passes over the three rows
        double last = result.steps().subList(21, 24).stream()
                        .mapToDouble(s -> s.loss())
                        .sum()
                / 3;
        assertTrue(last < first / 2, "pointwise " + first + " -> " + last);
        JsonNode config = new ObjectMapper()
                .readTree(result.lastCheckpoint().resolve("config.json").toFile());
        assertEquals(
                "Qwen3ForSequenceClassification",
                config.get("architectures").get(0).asText());
        assertEquals(1, config.get("num_labels").asInt());
    }

    @Test
    void listwiseNeedsNegatives() throws Exception {
        SftArguments args = args("reranker", "listwise_reranker", "lora");
        Files.writeString(
                Path.of(args.dataset().get(0)),
                "{\"query\": \"what is a force\", \"response\": \"gravity is a force\"}\n");
        var e = assertThrows(DatasetException.class, () -> new SftJob(args, fixture()).train(manager));
        assertTrue(
                e.getMessage().contains("rerank.jsonl:1") && e.getMessage().contains("rejected_response"),
                e.getMessage());
    }
}
