package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.train.sft.SftArguments;

/**
 * Every alignment method through the one Trainer: a run resumed from a checkpoint writes, for the steps after
 * it, the same logging.jsonl records as the run never interrupted (losses, metrics, gradient norms and
 * evaluation metrics, bit for bit), and held-out rows are evaluated under TRL's {@code eval_*} names.
 */
class AlignResumeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    /** @param heldOut evaluated every 4 steps, or null */
    private SftArguments common(Path data, Path heldOut, String trainType, Path out) throws Exception {
        Path model = TinyAlignModel.folder(dir.resolve("model"));
        SftArguments common = new SftArguments()
                .model(model.toString())
                .dataset(data.toString())
                .maxLength(64)
                .perDeviceTrainBatchSize(2)
                .gradientAccumulationSteps(2)
                .learningRate(1e-2)
                .maxSteps(8)
                .warmupRatio(0.1)
                .trainType(trainType)
                .loraRank(8)
                .loraAlpha(16)
                .loraDropout(0.1)
                .loggingSteps(1)
                .saveSteps(4)
                .outputDir(out)
                .seed(5);
        return heldOut == null ? common : common.valDataset(heldOut.toString()).evalSteps(4);
    }

    /** logging.jsonl's records without the clock's fields. */
    private static List<ObjectNode> records(Path out) throws Exception {
        List<ObjectNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("logging.jsonl"))) {
            ObjectNode record = (ObjectNode) JSON.readTree(line);
            record.remove(List.of(
                    "tokens_per_s",
                    "elapsed_s",
                    "timing/sampling_s",
                    "timing/rewards_s",
                    "timing/training_s")); // clocks
            records.add(record);
        }
        return records;
    }

    /** Runs {@code type} whole, then again from its checkpoint-4 in a fresh folder; returns the whole run's records. */
    private List<ObjectNode> resumeRepeats(
            String type, Path data, Path heldOut, String trainType, RlhfArguments extra, RlhfJob.Rewards rewards)
            throws Exception {
        Path whole = dir.resolve(type + "-" + trainType + "-whole");
        new RlhfJob(
                        extra.rlhfType(type).common(common(data, heldOut, trainType, whole)),
                        TinyAlignModel.provider(),
                        rewards,
                        null)
                .train(manager);
        List<ObjectNode> expected = records(whole);
        assertEquals(8, expected.size(), expected.toString());

        Path resumed = dir.resolve(type + "-" + trainType + "-resumed");
        SftArguments again =
                common(data, heldOut, trainType, resumed).resumeFromCheckpoint(whole.resolve("checkpoint-4"));
        new RlhfJob(extra.rlhfType(type).common(again), TinyAlignModel.provider(), rewards, null).train(manager);
        List<ObjectNode> continued = records(resumed);
        assertEquals(
                expected.subList(4, 8),
                continued,
                type + " (" + trainType + ") resumed from checkpoint-4: steps 5 to 8");
        return expected;
    }

    @Test
    void dpoWithLoraResumesBitForBitAndEvaluatesUnderTrlNames() throws Exception {
        Path pairs = TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 2);
        Path heldOut = TinyAlignModel.pairs(dir.resolve("held-out.jsonl"), 1);
        List<ObjectNode> records = resumeRepeats("dpo", pairs, heldOut, "lora", new RlhfArguments(), null);
        for (int step : new int[] {4, 8}) {
            ObjectNode record = records.get(step - 1);
            for (String name : List.of(
                    "eval_loss",
                    "eval_rewards/chosen",
                    "eval_rewards/rejected",
                    "eval_rewards/accuracies",
                    "eval_rewards/margins")) {
                assertTrue(
                        record.has(name) && Double.isFinite(record.get(name).asDouble()),
                        name + " at step " + step + ": " + record);
            }
        }
        assertTrue(!records.get(2).has("eval_loss"), "step 3 is not evaluated: " + records.get(2));
        // the policy learns: the held-out margin grows from the reference's 0
        assertTrue(
                records.get(7).get("eval_rewards/margins").asDouble()
                        > records.get(3).get("eval_rewards/margins").asDouble(),
                records.get(3) + " then " + records.get(7));
    }

    @Test
    void fullTuningDpoResumesAgainstItsFrozenReference() throws Exception {
        resumeRepeats(
                "dpo", TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 2), null, "full", new RlhfArguments(), null);
    }

    @Test
    void ktoAndSimpoResumeBitForBit() throws Exception {
        resumeRepeats(
                "kto", TinyAlignModel.kto(dir.resolve("kto.jsonl"), true), null, "lora", new RlhfArguments(), null);
        resumeRepeats(
                "simpo", TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 2), null, "lora", new RlhfArguments(), null);
    }

    @Test
    void loraRewardModelResumesFromTheAdapterAndHeadBesideItsMergedFolder() throws Exception {
        Path pairs = TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 2);
        Path heldOut = TinyAlignModel.pairs(dir.resolve("held-out.jsonl"), 1);
        List<ObjectNode> records = resumeRepeats("rm", pairs, heldOut, "lora", new RlhfArguments(), null);
        for (int step : new int[] {4, 8}) {
            ObjectNode record = records.get(step - 1);
            assertTrue(
                    record.has("eval_loss") && record.has("eval_accuracy"),
                    "evaluated at step " + step + ": " + record);
        }

        // the checkpoint: a transformers sequence-classification folder, the unmerged adapter in adapter/
        Path whole = dir.resolve("rm-lora-whole");
        Path checkpoint = whole.resolve("checkpoint-4");
        assertEquals(
                "Qwen2ForSequenceClassification",
                JSON.readTree(checkpoint.resolve("config.json").toFile())
                        .path("architectures")
                        .get(0)
                        .asText());
        assertTrue(WeightFiles.open(checkpoint).contains(RewardModel.SCORE));
        assertTrue(Files.isRegularFile(checkpoint.resolve("adapter/adapter_model.safetensors")));
        assertFalse(
                Files.exists(checkpoint.resolve("adapter_config.json")),
                "transformers would load the top level as an adapter over its base");

        // the resumed run ends with the uninterrupted run's weights, merged, adapter and head
        Path resumed = dir.resolve("rm-lora-resumed");
        for (String file : List.of("model.safetensors", "adapter/adapter_model.safetensors")) {
            assertEquals(
                    -1L,
                    Files.mismatch(
                            whole.resolve("checkpoint-8").resolve(file),
                            resumed.resolve("checkpoint-8").resolve(file)),
                    file);
        }
    }

    @Test
    void fullTuningRewardModelResumesFromItsCheckpointWeights() throws Exception {
        Path pairs = TinyAlignModel.pairs(dir.resolve("pairs.jsonl"), 2);
        resumeRepeats("rm", pairs, null, "full", new RlhfArguments(), null);

        // a LoRA run cannot resume from it: there is no adapter to continue
        SftArguments lora = common(pairs, null, "lora", dir.resolve("rm-wrong"))
                .resumeFromCheckpoint(dir.resolve("rm-full-whole/checkpoint-4"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new RlhfJob(
                                new RlhfArguments().rlhfType("rm").common(lora), TinyAlignModel.provider(), null, null)
                        .train(manager));
        assertTrue(e.getMessage().contains("adapter_config.json"), e.getMessage());
    }

    @Test
    void grpoResumesBitForBitWithItsSeededSamplingAndEvaluatesOnHeldOutPrompts() throws Exception {
        // differs between completions, so the advantages and the gradients are not 0
        RewardFunction even = new EvenTokenReward();
        RlhfJob.Rewards rewards = name -> RewardModelFunction.handle(even, "test");
        Path prompts = TinyAlignModel.pairs(dir.resolve("prompts.jsonl"), 1);
        Path heldOut = TinyAlignModel.pairs(dir.resolve("held-out.jsonl"), 1);
        // the uninterrupted run evaluates after step 4, the resumed one starts after it: equal steps 5 to 8 show
        // that an evaluation's sampling leaves the training's as it was
        List<ObjectNode> records = resumeRepeats(
                "grpo",
                prompts,
                heldOut,
                "lora",
                new RlhfArguments()
                        .rewardFuncs("even")
                        .numGenerations(4)
                        .maxCompletionLength(6)
                        .beta(0.04),
                rewards);
        assertTrue(records.stream().allMatch(r -> r.has("reward") && r.has("kl")), records.toString());
        assertTrue(records.stream().anyMatch(r -> r.get("grad_norm").asDouble() > 0), "the policy moves: " + records);
        for (int step : new int[] {4, 8}) {
            ObjectNode record = records.get(step - 1);
            for (String name : List.of(
                    "eval_reward",
                    "eval_reward_std",
                    "eval_rewards/even/mean",
                    "eval_rewards/even/std",
                    "eval_completions/mean_length",
                    "eval_completions/max_length",
                    "eval_completions/clipped_ratio")) {
                assertTrue(
                        record.has(name) && Double.isFinite(record.get(name).asDouble()),
                        name + " at step " + step + ": " + record);
            }
            double share = record.get("eval_rewards/even/mean").asDouble();
            assertTrue(share >= 0 && share <= 1, "a share of even tokens: " + record);
            assertTrue(
                    record.get("eval_completions/max_length").asDouble() <= 6, "--max_completion_length 6: " + record);
        }
        assertFalse(records.get(2).has("eval_reward"), "step 3 is not evaluated: " + records.get(2));
        // the held-out prompts' completions, not a training step's: the metrics differ from the step's own
        assertTrue(
                records.get(3).get("eval_reward").asDouble()
                                != records.get(3).get("reward").asDouble()
                        || records.get(3).get("eval_reward_std").asDouble()
                                != records.get(3).get("reward_std").asDouble(),
                records.get(3).toString());
    }
}
