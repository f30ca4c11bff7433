package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.osprey.align.loss.GroupAdvantages;
import dev.osprey.align.loss.GrpoLoss;
import dev.osprey.align.loss.LabelLogps;
import dev.osprey.align.loss.LossOutput;
import dev.osprey.align.reward.RewardRunner;
import dev.osprey.align.reward.RewardScores;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.reward.RewardSample;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.model.nn.ComputeThreads;
import dev.osprey.train.optim.OptimizerSteps;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftExample;

/**
 * Group Relative Policy Optimization, one optimizer step per generation batch (TRL's
 * {@code num_iterations=1}, so the old policy is the current one): each step takes
 * {@code per_device_train_batch_size x gradient_accumulation_steps / num_generations} prompts, samples
 * {@code num_generations} completions of each with {@link Generator} (adapter on), scores them with the
 * {@link RewardRunner}, turns the rewards into group-relative advantages, and trains on the completions'
 * per-token log-probabilities (policy with gradients; reference with the adapter off when beta > 0) with
 * {@link GrpoLoss}, in micro-batches of {@code per_device_train_batch_size} completions.
 */
final class GrpoTrainer {

    private final RlhfArguments args;
    private final LanguageModel policy;
    private final String adapter;
    private final LanguageModel reference;
    private final Function<int[], String> decoder;
    private final Set<Integer> eosIds;
    private final RewardRunner rewards;

    /**
     * @param reference the reference model (the policy itself, run with the adapter off, or a frozen copy); used when beta > 0
     * @param decoder completion token ids to text (special tokens left out)
     */
    GrpoTrainer(RlhfArguments args, LanguageModel policy, String adapter, LanguageModel reference, Function<int[], String> decoder,
            Set<Integer> eosIds, RewardRunner rewards) {
        this.args = args;
        this.policy = policy;
        this.adapter = adapter;
        this.reference = reference;
        this.decoder = decoder;
        this.eosIds = eosIds;
        this.rewards = rewards;
    }

    int promptsPerStep() {
        var c = args.common();
        return c.perDeviceTrainBatchSize() * c.gradientAccumulationSteps() / args.numGenerations();
    }

    long totalSteps(int prompts) {
        var c = args.common();
        if (c.maxSteps() > 0) {
            return c.maxSteps();
        }
        return Math.max(1, (long) Math.ceil(Math.ceil(prompts / (double) promptsPerStep()) * c.numTrainEpochs()));
    }

    void train(List<AlignData.Prompt> prompts, long total, OptimizerSteps optimizer, PreferenceTrainer.StepListener listener)
            throws java.io.IOException {
        try (ComputeThreads threads = ComputeThreads.training()) { // a step's operations use every core
            loop(prompts, total, optimizer, listener);
        }
    }

    @SuppressWarnings("unchecked")
    private void loop(List<AlignData.Prompt> prompts, long total, OptimizerSteps optimizer, PreferenceTrainer.StepListener listener)
            throws java.io.IOException {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("the training set has no prompts");
        }
        var c = args.common();
        int g = args.numGenerations();
        Random order = new Random(c.seed());
        List<AlignData.Prompt> epoch = new ArrayList<>();
        NDManager parent = policy.parameters().values().iterator().next().getManager();
        GrpoLoss loss = new GrpoLoss(new GrpoLoss.Config(args.beta(), args.epsilon(), args.epsilonHigh(), args.grpoType(),
                args.maxCompletionLength()));
        for (long step = 0; step < total; step++) {
            List<AlignData.Prompt> chosen = new ArrayList<>();
            while (chosen.size() < promptsPerStep()) {
                if (epoch.isEmpty()) {
                    epoch.addAll(prompts);
                    Collections.shuffle(epoch, order);
                }
                chosen.add(epoch.remove(epoch.size() - 1));
            }
            // ---- sampling: every prompt num_generations times, laid out prompt by prompt
            long sampleStart = System.nanoTime();
            // one batched call: every prompt num_generations times (Generator mixes each row's seed)
            List<int[]> inputs = new ArrayList<>();
            for (AlignData.Prompt prompt : chosen) {
                for (int round = 0; round < g; round++) {
                    inputs.add(prompt.promptIds());
                }
            }
            GenerationOptions sampling = new GenerationOptions(args.maxCompletionLength(), true, args.temperature(), args.topK(),
                    args.topP(), 0, 1.0, 0, 0, c.seed() * 1_000_003L + step, eosIds, Set.of(), List.of());
            List<Generator.Result> generated = Generator.generate(policy, inputs, sampling, adapter, null, null);
            List<AlignData.Prompt> owners = new ArrayList<>();
            for (AlignData.Prompt prompt : chosen) {
                for (int round = 0; round < g; round++) {
                    owners.add(prompt);
                }
            }
            double samplingSeconds = (System.nanoTime() - sampleStart) / 1e9;

            // ---- rewards and advantages
            long rewardStart = System.nanoTime();
            List<RewardSample> samples = new ArrayList<>();
            List<SftExample> sequences = new ArrayList<>();
            long completionTokens = 0;
            int clipped = 0;
            for (int i = 0; i < generated.size(); i++) {
                Generator.Result r = generated.get(i);
                AlignData.Prompt p = owners.get(i);
                int[] text = Arrays.stream(r.tokens()).filter(t -> !eosIds.contains(t)).toArray();
                samples.add(new RewardSample(p.messages(), decoder.apply(text), r.tokens(), p.columns()));
                sequences.add(sequence(p.promptIds(), r.tokens(), p.source()));
                completionTokens += r.tokens().length;
                clipped += r.finishReason().equals("length") ? 1 : 0;
            }
            RewardScores scores = rewards.score(samples);
            double rewardSeconds = (System.nanoTime() - rewardStart) / 1e9;
            long trainStart = System.nanoTime();
            double[] totals = scores.total();
            double itemsInBatch = completionTokens;
            Map<String, Double> rewardMetrics = new LinkedHashMap<>();
            float[] advantages;
            double zeroStd;
            try (NDManager m = parent.newSubManager()) {
                GroupAdvantages.Result adv = GroupAdvantages.compute(m.create(totals), g, args.scaleRewards());
                advantages = adv.advantages().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                zeroStd = adv.fracRewardZeroStd();
            }
            long s = step;
            OptimizerSteps.Update update = optimizer.step(step, () -> {
                parent.getEngine().setRandomSeed((int) (c.seed() * 1_000_003L + s));
                Map<String, Double> sum = new LinkedHashMap<>();
                int micro = c.perDeviceTrainBatchSize();
                int count = 0;
                for (int from = 0; from < sequences.size(); from += micro) {
                    int to = Math.min(sequences.size(), from + micro);
                    microStep(parent, loss, sequences.subList(from, to), Arrays.copyOfRange(advantages, from, to), itemsInBatch,
                            c.gradientAccumulationSteps()).forEach((k, v) -> sum.merge(k, v, Double::sum));
                    count++;
                }
                int n = count;
                sum.replaceAll((k, v) -> k.equals("loss") ? v : v / n);
                return sum;
            });
            double trainSeconds = (System.nanoTime() - trainStart) / 1e9;

            Map<String, Object> record = update.logRecord(step + 1, total);
            record.put("reward", mean(totals));
            record.put("reward_std", std(totals));
            for (String name : scores.perFunction().keySet()) {
                rewardMetrics.put("rewards/" + name + "/mean", scores.mean(name));
                rewardMetrics.put("rewards/" + name + "/std", scores.std(name));
            }
            record.putAll(rewardMetrics);
            record.put("frac_reward_zero_std", zeroStd);
            record.put("completions/mean_length", completionTokens / (double) generated.size());
            record.put("completions/clipped_ratio", clipped / (double) generated.size());
            update.metrics().forEach((k, v) -> {
                if (!k.equals("loss")) {
                    record.put(k, v);
                }
            });
            record.put("num_tokens", sequences.stream().mapToLong(SftExample::length).sum());
            record.put("timing/sampling_s", samplingSeconds);
            record.put("timing/rewards_s", rewardSeconds);
            record.put("timing/training_s", trainSeconds);
            if (!scores.warnings().isEmpty()) {
                record.put("reward_warnings", scores.warnings());
            }
            listener.step(step + 1, total, record);
        }
    }

    /** Prompt then completion, the loss on the completion tokens only. */
    private static SftExample sequence(int[] prompt, int[] completion, String source) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + completion.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        int[] labels = new int[ids.length];
        Arrays.fill(labels, 0, prompt.length, ChatEncoder.IGNORE_INDEX);
        System.arraycopy(completion, 0, labels, prompt.length, completion.length);
        return new SftExample(ids, labels, source);
    }

    private Map<String, Double> microStep(NDManager parent, GrpoLoss loss, List<SftExample> sequences, float[] advantages,
            double itemsInBatch, int accumulation) {
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            scope.suppressNotUsedWarning();
            Batch batch = Batch.of(m, sequences, 0); // (B, T)
            NDArray refLogps = null;
            if (args.beta() != 0) {
                refLogps = LabelLogps.ofCausal(forward(reference, null, batch, false), batch.labels()).perToken().stopGradient(); // (B, T-1)
            }
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                LabelLogps logps = LabelLogps.ofCausal(forward(policy, adapter, batch, true), batch.labels()); // (B, T-1)
                boolean dapo = args.grpoType() == GrpoLoss.Type.DAPO;
                LossOutput out = loss.compute(logps.perToken(), null, refLogps, m.create(advantages), logps.mask(),
                        dapo ? itemsInBatch : null);
                // dapo is already normalised over the whole generation batch; the others per micro-batch
                NDArray scaled = dapo ? out.loss() : Scalars.div(out.loss(), accumulation);
                Map<String, Double> metrics = new LinkedHashMap<>();
                metrics.put("loss", scalar(scaled));
                metrics.putAll(out.metrics());
                collector.backward(scaled);
                return metrics;
            }
        }
    }

    private static NDArray forward(LanguageModel model, String adapter, Batch batch, boolean training) {
        return model.forward(ForwardRequest.builder(batch.inputIds()).optAttentionMask(batch.attentionMask()).optAdapter(adapter)
                .optTraining(training).build()).logits(); // (B, T, V)
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static double std(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double mean = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1));
    }

    /** A scalar's value whatever its float type (some losses come back in float64). */
    static double scalar(NDArray x) {
        return x.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }
}
