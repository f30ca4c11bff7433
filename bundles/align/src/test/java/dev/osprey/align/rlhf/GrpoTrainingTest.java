package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.rewards.builtin.impl.FormatReward;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftJob;

/**
 * GRPO on the tiny chat model with the real built-in {@code format} reward: a model first fine-tuned on
 * answers half with {@code <think>...</think><answer>...</answer>} and half without samples both; GRPO must
 * raise the share it formats.
 */
class GrpoTrainingTest {

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** The platform's lookup, over one real reward instance. */
    private static RlhfJob.Rewards rewards(RewardFunction function) {
        return name -> {
            if (!name.equals(function.name())) {
                throw new IllegalArgumentException("no reward '" + name + "'; installed: " + function.name());
            }
            return RewardModelFunction.handle(function, "dev.osprey.rewards.builtin");
        };
    }

    /** A base that formats about half of its answers. */
    private Path halfFormattingModel() throws Exception {
        Path model = TinyAlignModel.folder(dir.resolve("model"));
        StringBuilder jsonl = new StringBuilder();
        for (String[] qa : TinyAlignModel.QA) {
            jsonl.append(String.format(
                    "{\"query\": \"%s\", \"response\": \"<think> %s </think> <answer> %s </answer>\"}%n",
                    qa[0], qa[1], qa[1]));
            // unformatted twice as often: the base formats about a third of its answers
            jsonl.append(String.format("{\"query\": \"%s\", \"response\": \"%s\"}%n", qa[0], qa[1])
                    .repeat(2));
        }
        Path data = dir.resolve("mixed.jsonl");
        Files.writeString(data, jsonl);
        SftArguments sft = new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .trainType("full")
                .maxLength(64)
                .perDeviceTrainBatchSize(12)
                .learningRate(3e-3)
                .maxSteps(40)
                .warmupRatio(0)
                .saveSteps(0)
                .outputDir(dir.resolve("sft"))
                .seed(3);
        return new SftJob(sft, TinyAlignModel.provider()).train(manager).lastCheckpoint();
    }

    @Test
    void grpoWithTheFormatRewardRaisesTheMeanReward() throws Exception {
        Path base = halfFormattingModel();
        Path prompts = TinyAlignModel.pairs(dir.resolve("prompts.jsonl"), 1);
        SftArguments common = new SftArguments()
                .model(base.toString())
                .dataset(prompts.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(8)
                .gradientAccumulationSteps(4)
                .learningRate(5e-3)
                .maxSteps(15)
                .warmupRatio(0)
                .loraRank(8)
                .loraAlpha(16)
                .loraDropout(0)
                .loggingSteps(1)
                .saveSteps(0)
                .outputDir(dir.resolve("grpo"))
                .seed(11)
                .valDataset(prompts.toString()) // the formatting of held-out completions, sampled apart from training's
                .evalSteps(5);
        RlhfArguments args = new RlhfArguments()
                .rlhfType("grpo")
                .rewardFuncs("format")
                .numGenerations(8)
                .maxCompletionLength(8)
                .beta(0.04)
                .common(common);
        RlhfJob.Result result =
                new RlhfJob(args, TinyAlignModel.provider(), rewards(new FormatReward()), null).train(manager);

        double[] reward = result.metric("reward");
        // step 1 scores the base's own completions (32 of them), before any update
        double first = reward[0];
        double last = Arrays.stream(reward, reward.length - 5, reward.length)
                .average()
                .orElseThrow();
        assertTrue(first > 0.05 && first < 0.6, "the base formats some answers, not most: " + Arrays.toString(reward));
        assertTrue(last > first + 0.3 && last > 0.8, "mean reward by step " + Arrays.toString(reward));
        Map<String, Object> step = result.steps().get(0);
        for (String name : List.of(
                "rewards/format/mean",
                "rewards/format/std",
                "reward_std",
                "kl",
                "clip_ratio/region_mean",
                "completions/mean_length",
                "timing/sampling_s",
                "timing/training_s")) {
            assertTrue(step.containsKey(name), name + " in " + step);
        }
        assertEquals(
                reward[0],
                (Double) step.get("rewards/format/mean"),
                1e-12,
                "one reward of weight 1: the total is its score");

        // evaluated at steps 5, 10 and 15 on 8 completions of every held-out prompt: the policy formats them too
        Map<Long, Double> evalReward = new LinkedHashMap<>();
        result.steps().stream()
                .filter(s -> s.containsKey("eval_reward"))
                .forEach(s -> evalReward.put(((Number) s.get("step")).longValue(), (Double) s.get("eval_reward")));
        assertEquals(
                List.of(5L, 10L, 15L),
                List.copyOf(evalReward.keySet()),
                result.steps().toString());
        assertTrue(evalReward.get(15L) > first + 0.3 && evalReward.get(15L) > 0.8, "eval_reward by step " + evalReward);
        Map<String, Object> evaluated = result.steps().get(14);
        assertEquals(
                evalReward.get(15L),
                (Double) evaluated.get("eval_rewards/format/mean"),
                1e-12,
                "one reward of weight 1: the total is its score");
        assertTrue(
                (Double) evaluated.get("eval_completions/max_length") <= 8
                        && (Double) evaluated.get("eval_completions/min_length") >= 1,
                "--max_completion_length 8: " + evaluated);
    }

    @Test
    void argumentsAreCheckedBeforeAnyWork() throws Exception {
        Path model = TinyAlignModel.folder(dir.resolve("model"));
        SftArguments common =
                new SftArguments().model(model.toString()).dataset("x.jsonl").perDeviceTrainBatchSize(4);
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfArguments().rlhfType("grpo").common(common).validate());
        assertTrue(e.getMessage().contains("--reward_funcs"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfArguments()
                        .rlhfType("grpo")
                        .rewardFuncs("format")
                        .numGenerations(1)
                        .common(common)
                        .validate());
        assertTrue(e.getMessage().contains("--num_generations"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfArguments()
                        .rlhfType("grpo")
                        .rewardFuncs("format")
                        .numGenerations(3)
                        .common(common)
                        .validate());
        assertTrue(e.getMessage().contains("multiple of --num_generations 3"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfJob(
                                new RlhfArguments()
                                        .rlhfType("grpo")
                                        .rewardFuncs("nope")
                                        .numGenerations(4)
                                        .common(common),
                                TinyAlignModel.provider(),
                                rewards(new FormatReward()),
                                null)
                        .train(manager));
        assertTrue(e.getMessage().contains("no reward 'nope'"), e.getMessage());
    }
}
