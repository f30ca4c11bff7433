package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.dataset.DatasetException;

/**
 * {@code --task_type seq_cls} through {@code SftJob}: the classifier learns the labels of the tiny chat model's
 * questions, and its checkpoints have the layouts transformers and PEFT read (a LoRA run: a SEQ_CLS adapter with
 * the head in modules_to_save; full: a {@code *ForSequenceClassification} folder without lm_head).
 */
class SeqClsTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private Path dataset(String labels) throws Exception {
        String[] label = labels.split(",");
        StringBuilder rows = new StringBuilder();
        for (int r = 0; r < 4; r++) {
            for (int i = 0; i < TinyChatModel.QA.size(); i++) {
                rows.append("{\"messages\": [{\"role\": \"user\", \"content\": \"")
                        .append(TinyChatModel.QA.get(i)[0])
                        .append("\"}], \"label\": ")
                        .append(label[i])
                        .append("}\n");
            }
        }
        return Files.writeString(dir.resolve("cls.jsonl"), rows);
    }

    private SftArguments args(Path data, String trainType) throws Exception {
        return new SftArguments()
                .model(TinyChatModel.folder(dir.resolve("model")).toString())
                .dataset(data.toString())
                .taskType("seq_cls")
                .numLabels(3)
                .trainType(trainType)
                .maxLength(64)
                .perDeviceTrainBatchSize(4)
                .learningRate(2e-2)
                .maxSteps(20)
                .warmupRatio(0)
                .saveSteps(20)
                .outputDir(dir.resolve("out-" + trainType));
    }

    @Test
    void loraLearnsTheLabelsAndSavesAPeftSeqClsAdapter() throws Exception {
        SftArguments args = args(dataset("0,1,2,1"), "lora");
        SftJob.Result result = new SftJob(args, TinyChatModel.provider(dir.resolve("model"))).train(manager);
        double first = result.steps().get(0).loss();
        assertTrue(result.finalLoss() < first / 4, "loss " + first + " -> " + result.finalLoss());
        assertTrue(((Number) result.steps()
                                .get(result.steps().size() - 1)
                                .metrics()
                                .get("acc"))
                        .doubleValue()
                > 0.99);

        Path checkpoint = result.lastCheckpoint();
        JsonNode config = new ObjectMapper()
                .readTree(checkpoint.resolve("adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        assertEquals("score", config.get("modules_to_save").get(0).asText());
        WeightFiles weights = WeightFiles.openFile(checkpoint.resolve(WeightFiles.ADAPTER_FILE));
        assertEquals(
                List.of(3L, 64L),
                java.util.Arrays.stream(
                                weights.info("base_model.model.score.weight").shape())
                        .boxed()
                        .toList());
    }

    @Test
    void fullTuningSavesAClassifierFolderAndResumesWithTheSameLosses() throws Exception {
        Path data = dataset("2,0,1,0");
        SftJob.Result result = new SftJob(
                        args(data, "full").maxSteps(8).saveSteps(4), TinyChatModel.provider(dir.resolve("model")))
                .train(manager);
        Path checkpoint = result.lastCheckpoint();
        JsonNode config =
                new ObjectMapper().readTree(checkpoint.resolve("config.json").toFile());
        assertEquals(
                "Qwen2ForSequenceClassification",
                config.get("architectures").get(0).asText());
        assertEquals(3, config.get("num_labels").asInt());
        assertEquals("single_label_classification", config.get("problem_type").asText());
        WeightFiles weights = WeightFiles.open(checkpoint);
        assertTrue(weights.contains("score.weight"));
        assertFalse(weights.contains("lm_head.weight"));

        // resumed from step 4 in another folder: steps 5..8 repeat the uninterrupted run's losses
        Path resumeOut = dir.resolve("resumed");
        Path step4 = checkpoint.resolveSibling("checkpoint-4");
        SftJob.Result resumed = new SftJob(
                        args(data, "full")
                                .maxSteps(8)
                                .saveSteps(4)
                                .outputDir(resumeOut)
                                .resumeFromCheckpoint(step4),
                        TinyChatModel.provider(dir.resolve("model")))
                .train(manager);
        double[] full = result.steps().stream().mapToDouble(s -> s.loss()).toArray();
        double[] again = resumed.steps().stream().mapToDouble(s -> s.loss()).toArray();
        assertEquals(full[full.length - 1], again[again.length - 1], 1e-5);
    }

    @Test
    void badLabelsAndArgumentsAreNamed() throws Exception {
        Path data = dataset("0,1,7,1");
        var e = assertThrows(
                DatasetException.class,
                () -> new SftJob(args(data, "lora"), TinyChatModel.provider(dir.resolve("model"))).train(manager));
        assertTrue(
                e.getMessage().contains("cls.jsonl:") && e.getMessage().contains("label 7 is not a class"),
                e.getMessage());
        var noLabels = assertThrows(
                IllegalArgumentException.class,
                () -> args(data, "lora").numLabels(0).validate());
        assertTrue(noLabels.getMessage().contains("--num_labels"), noLabels.getMessage());
        var badProblem = assertThrows(
                IllegalArgumentException.class,
                () -> args(data, "lora").problemType("ranking").validate());
        assertTrue(badProblem.getMessage().contains("--problem_type"), badProblem.getMessage());
    }
}
