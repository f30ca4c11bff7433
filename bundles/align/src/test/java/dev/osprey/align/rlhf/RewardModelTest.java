package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.ndarray.NDManager;

import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.dataset.DatasetOptions;
import dev.osprey.dataset.DatasetReader;
import dev.osprey.dataset.DatasetSpec;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.LoraConfig;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftExample;

/** Reward-model training ({@code --rlhf_type rm}), its Hugging Face folder, and its use as a GRPO reward. */
class RewardModelTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void aLoraRewardModelRanksEveryTrainingPairAndSavesAsSequenceClassification() throws Exception {
        Path model = TinyAlignModel.folder(dir.resolve("model"));
        Path pairs = TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 1);
        SftArguments common = new SftArguments()
                .model(model.toString())
                .dataset(pairs.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(4)
                .learningRate(1e-2)
                .maxSteps(20)
                .warmupRatio(0)
                .loraDropout(0)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(dir.resolve("rm"))
                .seed(4);
        RlhfJob.Result result = new RlhfJob(
                        new RlhfArguments().rlhfType("rm").common(common), TinyAlignModel.provider(), null, null)
                .train(manager);
        double[] accuracy = result.metric("accuracy");
        assertEquals(1.0, accuracy[accuracy.length - 1], 1e-9, "accuracy " + Arrays.toString(accuracy));

        Path saved = result.lastCheckpoint();
        JsonNode config =
                new ObjectMapper().readTree(saved.resolve("config.json").toFile());
        assertEquals(
                "Qwen2ForSequenceClassification",
                config.path("architectures").get(0).asText());
        assertEquals(1, config.path("num_labels").asInt());
        assertTrue(WeightFiles.open(saved).contains("score.weight"));

        // the saved folder, loaded again, ranks every training pair: chosen above rejected
        try (RewardModel loaded = RewardModel.load(TinyAlignModel.load(saved, manager), manager)) {
            HfModel base = TinyAlignModel.load(model, manager);
            var data = new AlignData(
                    ChatPromptEncoder.ownTemplate(base.tokenizer(), base.tokenizerConfig(), base.generationConfig()),
                    64,
                    SftExample.Truncation.DELETE);
            var rows = new DatasetReader(DatasetOptions.defaults())
                    .load(DatasetSpec.parseAll(List.of(pairs.toString())))
                    .train();
            List<SftExample> encoded = new ArrayList<>();
            var list = data.pairs(rows);
            list.forEach(p -> encoded.add(p.chosen()));
            list.forEach(p -> encoded.add(p.rejected()));
            float[] scores = loaded.scores(Batch.of(manager, encoded, 0), false).toFloatArray();
            for (int i = 0; i < list.size(); i++) {
                assertTrue(scores[i] > scores[i + list.size()], "pair " + i + ": " + Arrays.toString(scores));
            }
            base.close();
        }

        // and serves as a GRPO reward: --reward_model DIR, logged as rewards/reward_model/*
        SftArguments grpo = new SftArguments()
                .model(model.toString())
                .dataset(pairs.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(4)
                .learningRate(1e-3)
                .maxSteps(2)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(dir.resolve("grpo"))
                .seed(4);
        RlhfJob.Result rl = new RlhfJob(
                        new RlhfArguments()
                                .rlhfType("grpo")
                                .rewardModel(saved.toString())
                                .numGenerations(4)
                                .maxCompletionLength(4)
                                .common(grpo),
                        TinyAlignModel.provider(),
                        null,
                        null)
                .train(manager);
        Map<String, Object> step = rl.steps().get(0);
        assertTrue(
                step.containsKey("rewards/reward_model/mean")
                        && Double.isFinite((Double) step.get("rewards/reward_model/std")),
                step.toString());
    }

    @Test
    void saveThenLoadGivesTheSameScores() throws Exception {
        Path folder = TinyAlignModel.folder(dir.resolve("model"));
        HfModel base = TinyAlignModel.load(folder, manager);
        DecoderModel decoder = (DecoderModel) base.model();
        new LoraConfig(4, 8, Set.of(LoraConfig.ALL_LINEAR), false).attach(decoder.linears(), "a", manager, 1);
        decoder.linears().forEach(l -> l.adapter("a").b().addi(0.05f)); // an adapter that changes the output
        RewardModel trained = RewardModel.init(decoder, "a", manager, 7);
        List<SftExample> rows = List.of(
                new SftExample(new int[] {1, 14, 15, 2}, new int[] {-100, 14, 15, 2}, "a"),
                new SftExample(new int[] {1, 16, 2}, new int[] {-100, 16, 2}, "b"));
        float[] before = trained.scores(Batch.of(manager, rows, 0), false).toFloatArray();
        Path saved = dir.resolve("saved");
        trained.save(saved, base.config().asMap(), LoraMerge.tokenizerFiles(base.folder()));
        try (RewardModel loaded = RewardModel.load(TinyAlignModel.load(saved, manager), manager)) {
            float[] after = loaded.scores(Batch.of(manager, rows, 0), false).toFloatArray();
            assertArrayEquals(before, after, 1e-5f);
            assertTrue(
                    Math.abs(before[0] - before[1]) > 1e-4,
                    "distinct rows score differently: " + Arrays.toString(before));
        }
        base.close();
    }
}
