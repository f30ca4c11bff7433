package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.dataset.DatasetException;

/**
 * {@code --task_type embedding} through {@code SftJob} on the tiny chat model: InfoNCE with in-batch and hard
 * negatives (ms-swift's query/response/rejected_response and messages/positive_messages/negative_messages rows)
 * learns to put each question next to its answer; cosine_similarity fits labelled pairs; the LoRA checkpoint is a
 * PEFT FEATURE_EXTRACTION adapter.
 */
class EmbeddingTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private SftArguments args(Path data) throws Exception {
        return new SftArguments()
                .model(TinyChatModel.folder(dir.resolve("model")).toString())
                .dataset(data.toString())
                .taskType("embedding")
                .maxLength(32)
                .perDeviceTrainBatchSize(4)
                .learningRate(2e-2)
                .maxSteps(16)
                .warmupRatio(0)
                .saveSteps(16)
                .outputDir(dir.resolve("out"));
    }

    @Test
    void infonceBringsQueriesToTheirAnswers() throws Exception {
        StringBuilder rows = new StringBuilder();
        var qa = TinyChatModel.QA;
        for (int r = 0; r < 4; r++) {
            for (int i = 0; i < qa.size(); i++) {
                String hard = qa.get((i + 1) % qa.size())[1];
                rows.append(
                        i % 2 == 0
                                ? "{\"query\": \"" + qa.get(i)[0] + "\", \"response\": \"" + qa.get(i)[1]
                                        + "\", \"rejected_response\": [\"" + hard + "\"]}\n"
                                : "{\"messages\": [{\"role\": \"user\", \"content\": \"" + qa.get(i)[0]
                                        + "\"}], \"positive_messages\": [[{\"role\": \"user\", \"content\": \""
                                        + qa.get(i)[1]
                                        + "\"}]], \"negative_messages\": [[{\"role\": \"user\", \"content\": \"" + hard
                                        + "\"}]]}\n");
            }
        }
        Path data = Files.writeString(dir.resolve("emb.jsonl"), rows);
        SftJob.Result result = new SftJob(args(data), TinyChatModel.provider(dir.resolve("model"))).train(manager);
        double first = result.steps().get(0).loss();
        assertTrue(result.finalLoss() < first / 4, "infonce " + first + " -> " + result.finalLoss());
        JsonNode config = new ObjectMapper()
                .readTree(result.lastCheckpoint().resolve("adapter_config.json").toFile());
        assertEquals("FEATURE_EXTRACTION", config.get("task_type").asText());
    }

    @Test
    void cosineSimilarityFitsLabelsAndNeedsThem() throws Exception {
        StringBuilder rows = new StringBuilder();
        var qa = TinyChatModel.QA;
        for (int r = 0; r < 4; r++) {
            for (int i = 0; i < qa.size(); i++) {
                rows.append("{\"query\": \"" + qa.get(i)[0] + "\", \"response\": \"" + qa.get((i + r) % qa.size())[1]
                        + "\", \"label\": " + (r == 0 ? "0.9" : "-0.5") + "}\n");
            }
        }
        Path data = Files.writeString(dir.resolve("cos.jsonl"), rows);
        SftJob.Result result = new SftJob(
                        args(data).lossType("cosine_similarity"), TinyChatModel.provider(dir.resolve("model")))
                .train(manager);
        assertTrue(
                result.finalLoss() < result.steps().get(0).loss() / 2,
                "cosine " + result.steps().get(0).loss() + " -> " + result.finalLoss());

        Path unlabelled = Files.writeString(
                dir.resolve("nolabel.jsonl"), "{\"query\": \"two plus two\", \"response\": \"four\"}\n");
        var e = assertThrows(
                DatasetException.class,
                () -> new SftJob(
                                args(unlabelled).lossType("cosine_similarity"),
                                TinyChatModel.provider(dir.resolve("model")))
                        .train(manager));
        assertTrue(e.getMessage().contains("nolabel.jsonl:1") && e.getMessage().contains("label"), e.getMessage());
        var bad = assertThrows(
                IllegalArgumentException.class,
                () -> args(unlabelled).lossType("contrastive").validate());
        assertTrue(bad.getMessage().contains("infonce, cosine_similarity"), bad.getMessage());
    }
}
