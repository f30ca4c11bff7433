package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.align.loss.GrpoLoss;

/** ms-swift's alignment arguments: one map or file split between these and the SFT arguments, defaults per method, errors. */
class RlhfArgumentsTest {

    @TempDir
    Path dir;

    private static Map<String, Object> base() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model", "m");
        values.put("dataset", "d.jsonl");
        return values;
    }

    @Test
    void oneMapFeedsBothArgumentClassesWithStringsAsTheCommandLineGivesThem() {
        Map<String, Object> values = base();
        values.put("rlhf_type", "grpo");
        values.put("reward_funcs", List.of("accuracy", "format"));
        values.put("reward_weights", List.of("1", "0.5"));
        values.put("num_generations", "4");
        values.put("per_device_train_batch_size", "8");
        values.put("loss_type", "dapo");
        values.put("lora_rank", "16");
        RlhfArguments args = RlhfArguments.fromMap(values, "command line").validate();
        assertEquals(RlhfArguments.Type.GRPO, args.type());
        assertEquals(List.of(1.0, 0.5), args.rewardWeights());
        assertEquals(GrpoLoss.Type.DAPO, args.grpoType());
        assertEquals(16, args.common().loraRank());
        assertEquals(8, args.common().perDeviceTrainBatchSize());
        assertEquals(0.04, args.beta(), 0, "ms-swift's GRPO beta");
        Map<String, Object> saved = args.toMap();
        assertEquals("grpo", saved.get("rlhf_type"));
        assertEquals(16, saved.get("lora_rank"));
    }

    @Test
    void defaultsFollowTheMethod() {
        assertEquals(2.0, new RlhfArguments().rlhfType("simpo").beta(), 0);
        assertEquals(0.0, new RlhfArguments().rlhfType("simpo").cpoAlpha(), 0);
        assertEquals(1.0, new RlhfArguments().rlhfType("cpo").cpoAlpha(), 0);
        assertEquals(0.1, new RlhfArguments().rlhfType("dpo").beta(), 0);
    }

    @Test
    void aYamlConfigCarriesBoth() throws Exception {
        Path config = dir.resolve("dpo.yaml");
        Files.writeString(
                config,
                "rlhf_type: dpo\nmodel: m\ndataset: d.jsonl\nbeta: 0.3\nloss_type: ipo\nlearning_rate: 5.0e-6\n");
        RlhfArguments args = RlhfArguments.fromFile(config).validate();
        assertEquals(0.3, args.beta(), 0);
        assertEquals(5e-6, args.common().learningRate(), 0);
    }

    @Test
    void badValuesAreNamed() {
        Map<String, Object> values = base();
        values.put("rlhf_type", "ppo");
        assertMessage(values, "--rlhf_type must be one of");
        values = base();
        values.put("rlhf_typo", "dpo");
        assertMessage(values, "unknown argument 'rlhf_typo'");
        values = base();
        values.put("loss_type", "nonsense");
        assertMessage(values, "unknown DPO loss_type 'nonsense'");
        values = base();
        values.put("rlhf_type", "kto");
        values.put("loss_type", "sigmoid");
        assertMessage(values, "--loss_type does not apply to --rlhf_type kto");
        values = base();
        values.put("reward_funcs", "format");
        assertMessage(values, "--reward_funcs and --reward_model apply to --rlhf_type grpo only");
        values = base();
        values.put("ref_model", "other-model");
        assertMessage(values, "--ref_model other-model: only the trained model itself");
        values = base();
        values.put("rlhf_type", "grpo");
        values.put("reward_funcs", List.of("format", "accuracy"));
        values.put("reward_weights", List.of("1"));
        values.put("num_generations", "2");
        values.put("per_device_train_batch_size", "2");
        assertMessage(values, "--reward_weights has 1 values but there are 2 rewards (format, accuracy)");
        values.put("reward_weights", List.of("1", "1"));
        values.put("reward_failure", "ignore");
        assertMessage(values, "--reward_failure must be fail or zero");
        values = base();
        values.put("beta", "abc");
        assertMessage(values, "bad value for 'beta'");
    }

    /** The README's GRPO example names no batch size: the step must still hold whole groups of completions. */
    @Test
    void grpoChoosesTheBatchValuesNotGivenSoThatAStepHoldsWholeGroups() {
        Map<String, Object> readme = grpo("4");
        RlhfArguments args = RlhfArguments.fromMap(readme, "command line").validate();
        assertEquals(
                4,
                args.common().perDeviceTrainBatchSize(),
                "one group per step, in one micro-batch, as TRL's defaults");
        assertEquals(1, args.common().gradientAccumulationSteps());
        assertEquals(4, args.toMap().get("per_device_train_batch_size"), "args.json records the value used");

        Map<String, Object> batchGiven = grpo("4");
        batchGiven.put("batch_size", "6");
        args = RlhfArguments.fromMap(batchGiven, "command line").validate();
        assertEquals(6, args.common().perDeviceTrainBatchSize());
        assertEquals(2, args.common().gradientAccumulationSteps(), "6 x 2 = 12 completions: three groups of 4");

        Map<String, Object> accumulationGiven = grpo("8");
        accumulationGiven.put("gradient_accumulation_steps", "2");
        args = RlhfArguments.fromMap(accumulationGiven, "command line").validate();
        assertEquals(4, args.common().perDeviceTrainBatchSize());
        assertEquals(2, args.common().gradientAccumulationSteps());

        Map<String, Object> bothGiven = grpo("4");
        bothGiven.put("per_device_train_batch_size", "2");
        bothGiven.put("gradient_accumulation_steps", "1");
        assertMessage(
                bothGiven,
                "--per_device_train_batch_size 2 x --gradient_accumulation_steps 1 (2 completions per step) must be a"
                        + " multiple of --num_generations 4: each prompt's completions are compared within one step. Set"
                        + " --gradient_accumulation_steps 2 or --per_device_train_batch_size 4, or --num_generations to one of [2]");
    }

    private static Map<String, Object> grpo(String numGenerations) {
        Map<String, Object> values = base();
        values.put("rlhf_type", "grpo");
        values.put("reward_funcs", List.of("accuracy", "format"));
        values.put("reward_weights", List.of("1", "0.5"));
        values.put("num_generations", numGenerations);
        values.put("beta", "0.04");
        return values;
    }

    private static void assertMessage(Map<String, Object> values, String expected) {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> RlhfArguments.fromMap(values, "command line").validate());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
