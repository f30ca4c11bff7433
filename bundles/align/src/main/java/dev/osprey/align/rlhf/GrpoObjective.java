package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import dev.osprey.align.loss.GroupAdvantages;
import dev.osprey.align.loss.GrpoLoss;
import dev.osprey.align.loss.LabelLogps;
import dev.osprey.align.loss.LossOutput;
import dev.osprey.align.reward.RewardRunner;
import dev.osprey.align.reward.RewardScores;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.reward.RewardSample;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.model.generate.GenerationOptions;
import dev.osprey.model.generate.Generator;
import dev.osprey.train.loop.Objective;
import dev.osprey.train.loop.StepWork;
import dev.osprey.train.loop.TrainerOptions;
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
final class GrpoObjective implements Objective<AlignData.Prompt> {

    private final RlhfArguments args;
    private final LanguageModel policy;
    private final String adapter;
    private final LanguageModel reference;
    private final Function<int[], String> decoder;
    private final Set<Integer> eosIds;
    private final RewardRunner rewards;
    private final GrpoLoss loss;

    /**
     * @param reference the reference model (the policy itself, run with the adapter off, or a frozen copy); used when beta > 0
     * @param decoder completion token ids to text (special tokens left out)
     */
    GrpoObjective(
            RlhfArguments args,
            LanguageModel policy,
            String adapter,
            LanguageModel reference,
            Function<int[], String> decoder,
            Set<Integer> eosIds,
            RewardRunner rewards) {
        this.args = args;
        this.policy = policy;
        this.adapter = adapter;
        this.reference = reference;
        this.decoder = decoder;
        this.eosIds = eosIds;
        this.rewards = rewards;
        this.loss = new GrpoLoss(new GrpoLoss.Config(
                args.beta(), args.epsilon(), args.epsilonHigh(), args.grpoType(), args.maxCompletionLength()));
    }

    @Override
    public int itemsPerStep(TrainerOptions options) {
        return options.batchSize() * options.gradientAccumulation() / args.numGenerations();
    }

    /** No held-out evaluation: GRPO's would sample and score completions of the held-out prompts. */
    @Override
    public Map<String, Double> evaluate(List<AlignData.Prompt> prompts, int batchSize) {
        return Map.of();
    }

    /** Samples {@code num_generations} completions of every prompt, scores them and turns the rewards into advantages. */
    @Override
    public StepWork prepare(long step, List<AlignData.Prompt> chosen, TrainerOptions options) {
        int g = args.numGenerations();
        long sampleStart = System.nanoTime();
        // one batched call: every prompt num_generations times, laid out prompt by prompt (Generator mixes each row's
        // seed)
        List<int[]> inputs = new ArrayList<>();
        List<AlignData.Prompt> owners = new ArrayList<>();
        for (AlignData.Prompt prompt : chosen) {
            for (int round = 0; round < g; round++) {
                inputs.add(prompt.promptIds());
                owners.add(prompt);
            }
        }
        GenerationOptions sampling = new GenerationOptions(
                args.maxCompletionLength(),
                true,
                args.temperature(),
                args.topK(),
                args.topP(),
                0,
                1.0,
                0,
                0,
                options.seed() * 1_000_003L + step,
                eosIds,
                Set.of(),
                List.of());
        List<Generator.Result> generated = Generator.generate(policy, inputs, sampling, adapter, null, null);
        double samplingSeconds = (System.nanoTime() - sampleStart) / 1e9;

        long rewardStart = System.nanoTime();
        List<RewardSample> samples = new ArrayList<>();
        List<SftExample> sequences = new ArrayList<>();
        long completionTokens = 0;
        int clipped = 0;
        for (int i = 0; i < generated.size(); i++) {
            Generator.Result r = generated.get(i);
            AlignData.Prompt p = owners.get(i);
            int[] text =
                    Arrays.stream(r.tokens()).filter(t -> !eosIds.contains(t)).toArray();
            samples.add(new RewardSample(p.messages(), decoder.apply(text), r.tokens(), p.columns()));
            sequences.add(sequence(p.promptIds(), r.tokens(), p.source()));
            completionTokens += r.tokens().length;
            clipped += r.finishReason().equals("length") ? 1 : 0;
        }
        RewardScores scores = rewards.score(samples);
        double rewardSeconds = (System.nanoTime() - rewardStart) / 1e9;
        double[] totals = scores.total();
        float[] advantages;
        double zeroStd;
        NDManager parent = policy.parameters().values().iterator().next().getManager();
        try (NDManager m = parent.newSubManager()) {
            GroupAdvantages.Result adv = GroupAdvantages.compute(m.create(totals), g, args.scaleRewards());
            advantages = adv.advantages().toType(DataType.FLOAT32, false).toFloatArray();
            zeroStd = adv.fracRewardZeroStd();
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("reward", mean(totals));
        extras.put("reward_std", std(totals));
        for (String name : scores.perFunction().keySet()) {
            extras.put("rewards/" + name + "/mean", scores.mean(name));
            extras.put("rewards/" + name + "/std", scores.std(name));
        }
        extras.put("frac_reward_zero_std", zeroStd);
        extras.put("completions/mean_length", completionTokens / (double) generated.size());
        extras.put("completions/clipped_ratio", clipped / (double) generated.size());
        extras.put("timing/sampling_s", samplingSeconds);
        extras.put("timing/rewards_s", rewardSeconds);
        if (!scores.warnings().isEmpty()) {
            extras.put("reward_warnings", scores.warnings());
        }
        double itemsInBatch = completionTokens;
        int micro = options.batchSize();
        int accumulation = options.gradientAccumulation();
        return new StepWork() {
            private long trainStart;

            @Override
            public int microBatches() {
                return (sequences.size() + micro - 1) / micro;
            }

            @Override
            public Map<String, Double> run(int index, NDManager manager) {
                if (index == 0) {
                    trainStart = System.nanoTime();
                }
                int from = index * micro;
                int to = Math.min(sequences.size(), from + micro);
                return microStep(
                        manager,
                        sequences.subList(from, to),
                        Arrays.copyOfRange(advantages, from, to),
                        itemsInBatch,
                        accumulation);
            }

            /** The loss is the sum of the micro-batches' (each already scaled); the other metrics their mean. */
            @Override
            public Map<String, Double> combine(List<Map<String, Double>> metrics) {
                Map<String, Double> sum = new LinkedHashMap<>();
                metrics.forEach(m -> m.forEach((k, v) -> sum.merge(k, v, Double::sum)));
                sum.replaceAll((k, v) -> k.equals("loss") ? v : v / metrics.size());
                extras.put("timing/training_s", (System.nanoTime() - trainStart) / 1e9);
                return sum;
            }

            @Override
            public long tokens() {
                return sequences.stream().mapToLong(SftExample::length).sum();
            }

            @Override
            public Map<String, Object> extras() {
                return extras;
            }
        };
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

    private Map<String, Double> microStep(
            NDManager m, List<SftExample> sequences, float[] advantages, double itemsInBatch, int accumulation) {
        Batch batch = Batch.of(m, sequences, 0); // (B, T)
        NDArray refLogps = null;
        if (args.beta() != 0) {
            refLogps = LabelLogps.ofCausal(batch.logits(reference, null, false), batch.labels())
                    .perToken()
                    .stopGradient(); // (B, T-1)
        }
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            LabelLogps logps = LabelLogps.ofCausal(batch.logits(policy, adapter, true), batch.labels()); // (B, T-1)
            boolean dapo = args.grpoType() == GrpoLoss.Type.DAPO;
            LossOutput out = loss.compute(
                    logps.perToken(), null, refLogps, m.create(advantages), logps.mask(), dapo ? itemsInBatch : null);
            // dapo is already normalised over the whole generation batch; the others per micro-batch
            NDArray scaled = dapo ? out.loss() : Scalars.div(out.loss(), accumulation);
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", PreferenceObjective.scalar(scaled));
            metrics.putAll(out.metrics());
            collector.backward(scaled);
            return metrics;
        }
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
}
