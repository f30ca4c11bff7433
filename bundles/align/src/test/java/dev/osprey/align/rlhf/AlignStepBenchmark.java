package dev.osprey.align.rlhf;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.align.reward.RewardFailurePolicy;
import dev.osprey.align.reward.RewardRunner;
import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.checkpoint.HfConfig;
import dev.osprey.checkpoint.WeightFiles;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.train.loop.StepLog;
import dev.osprey.train.loop.Trainer;
import dev.osprey.train.loop.TrainingListener;
import dev.osprey.train.sft.LoraConfig;
import dev.osprey.train.sft.SftArguments;
import dev.osprey.train.sft.SftExample;
import dev.osprey.train.sft.TrainingRuns;

/**
 * Step times of DPO and GRPO (LoRA rank 8 on all linear layers) on a Llama-shaped model folder given by
 * {@code -Dosprey.bench.model=DIR} (e.g. {@code osprey create-model --preset 110m}), on token ids (the folder
 * needs no tokenizer). A benchmark: off unless {@code -Dosprey.bench=true} (docs/benchmarks.md); prints its
 * measurements.
 */
@EnabledIfSystemProperty(named = "osprey.bench", matches = "true")
class AlignStepBenchmark {

    private static final int STEPS = 3;

    @Test
    void dpoAndGrpoStepTimes() throws Exception {
        String modelDir = System.getProperty("osprey.bench.model");
        assertNotNull(
                modelDir,
                "set -Dosprey.bench.model=DIR, a Llama-shaped model folder (osprey create-model --preset 110m --output_dir DIR)");
        Path folder = Path.of(modelDir);
        try (NDManager manager = NDManager.newBaseManager()) {
            HfConfig hf = HfConfig.read(folder.resolve("config.json"));
            DecoderModel model = new DecoderModel(
                    hf,
                    CommonConfig.read(hf, true, "silu").spec(false, false, false, false, 0f, 1, 0),
                    manager,
                    DataType.FLOAT32,
                    1);
            ModelLoader.loadWeights(model, WeightFiles.open(folder), manager, DataType.FLOAT32);
            new LoraConfig(8, 16, Set.of(LoraConfig.ALL_LINEAR), false).attach(model.linears(), "sft", manager, 1);
            Map<String, NDArray> trainable = LoraConfig.trainable(model.linears(), "sft");
            int vocab = model.spec().vocabSize();
            Random random = new Random(1);
            SftArguments common = new SftArguments()
                    .model(folder.toString())
                    .dataset("ids")
                    .perDeviceTrainBatchSize(2)
                    .maxSteps(STEPS)
                    .learningRate(1e-4)
                    .loraDropout(0);

            // ---- DPO: 2 pairs per step, prompt 64 + answer 64 tokens each, reference = adapter off
            List<AlignData.Pair> pairs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int[] prompt = ids(random, 64, vocab);
                pairs.add(new AlignData.Pair(
                        example(prompt, ids(random, 64, vocab)), example(prompt, ids(random, 64, vocab)), "pair" + i));
            }
            RlhfArguments dpo = new RlhfArguments().rlhfType("dpo").common(common);
            List<Double> dpoTimes = new ArrayList<>();
            long[] last = {System.nanoTime()};
            new Trainer(TrainingRuns.options(common), null, new TrainingListener() {
                        @Override
                        public void step(StepLog log, double elapsedSeconds, double tokensPerSecond) {
                            dpoTimes.add((System.nanoTime() - last[0]) / 1e9);
                            last[0] = System.nanoTime();
                        }
                    })
                    .train(new PreferenceObjective(dpo, model, "sft", model), pairs, List.of(), trainable);
            System.out.printf("DPO (2 pairs x 128 tokens, LoRA r8, %s): step seconds %s%n", folder, dpoTimes);

            // ---- GRPO: 1 prompt of 64 tokens x 4 generations of 32 tokens, beta 0.04 (reference forward)
            SftArguments grpoCommon = new SftArguments()
                    .model(folder.toString())
                    .dataset("ids")
                    .perDeviceTrainBatchSize(4)
                    .maxSteps(STEPS)
                    .learningRate(1e-4)
                    .loraDropout(0);
            RlhfArguments grpo = new RlhfArguments()
                    .rlhfType("grpo")
                    .rewardFuncs("even")
                    .numGenerations(4)
                    .maxCompletionLength(32)
                    .beta(0.04)
                    .common(grpoCommon)
                    .validate();
            RewardFunction even = new EvenTokenReward();
            List<AlignData.Prompt> prompts = List.of(new AlignData.Prompt(
                    ids(random, 64, vocab), List.of(ChatMessage.of("user", "ids")), Map.of(), "prompt"));
            List<double[]> grpoTimes = new ArrayList<>();
            try (RewardRunner runner = new RewardRunner(
                    List.of(RewardModelFunction.handle(even, "bench")),
                    null,
                    Duration.ofSeconds(60),
                    RewardFailurePolicy.FAIL)) {
                GrpoObjective objective = new GrpoObjective(
                        grpo, model, "sft", model, ids -> Arrays.toString(ids), new LinkedHashSet<>(), runner);
                last[0] = System.nanoTime();
                new Trainer(TrainingRuns.options(grpoCommon), null, new TrainingListener() {
                            @Override
                            public void step(StepLog log, double elapsedSeconds, double tokensPerSecond) {
                                double stepSeconds = (System.nanoTime() - last[0]) / 1e9;
                                last[0] = System.nanoTime();
                                grpoTimes.add(new double[] {
                                    stepSeconds, log.metric("timing/sampling_s"), log.metric("timing/training_s")
                                });
                            }
                        })
                        .train(objective, prompts, List.of(), trainable);
            }
            // for comparison: the same 4 completions as one batched Generator call (what GrpoObjective would do if
            // Generator's per-row seeds were independent; see GrpoObjective)
            long start = System.nanoTime();
            dev.osprey.model.generate.Generator.generate(
                    model,
                    java.util.Collections.nCopies(4, prompts.get(0).promptIds()),
                    new dev.osprey.model.generate.GenerationOptions(
                            32, true, 1.0, 0, 1.0, 0, 1.0, 0, 0, 5, Set.of(), Set.of(), List.of()),
                    "sft",
                    null,
                    null);
            System.out.printf(
                    "one batched Generator call, 4 rows x 32 tokens: %.2f s%n", (System.nanoTime() - start) / 1e9);
            for (double[] t : grpoTimes) {
                System.out.printf(
                        "GRPO (1 prompt x 4 generations, 64 + 32 tokens, beta 0.04): step %.2f s, sampling %.2f s (%.0f%%),"
                                + " training %.2f s (%.0f%%)%n",
                        t[0], t[1], 100 * t[1] / t[0], t[2], 100 * t[2] / t[0]);
            }
        }
    }

    private static int[] ids(Random random, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + random.nextInt(vocab - 3);
        }
        return ids;
    }

    /** Prompt then answer, the loss on the answer only. */
    private static SftExample example(int[] prompt, int[] answer) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + answer.length);
        System.arraycopy(answer, 0, ids, prompt.length, answer.length);
        int[] labels = ids.clone();
        Arrays.fill(labels, 0, prompt.length, -100);
        return new SftExample(ids, labels, "bench");
    }
}
