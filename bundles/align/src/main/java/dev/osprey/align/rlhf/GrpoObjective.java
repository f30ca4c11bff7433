package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
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
import dev.osprey.train.sft.ExampleMedia;
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

    private static final System.Logger LOG = System.getLogger(GrpoObjective.class.getName());

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

    /**
     * Samples {@code num_generations} completions of every held-out prompt as a training step does (the same
     * sampling settings, adapter on, no gradients) and scores them with the same rewards: the rollout metrics of
     * a step ({@code reward}, {@code rewards/NAME/mean}, {@code completions/mean_length}, ...), which the Trainer
     * logs with {@code eval_}. Its seeds ({@link #evalSeed}) are apart from every training step's and its sampler
     * draws from its own {@code Random}s, not the engine's generator, so an evaluation leaves the training steps
     * after it as they would be without it (a resumed run repeats them); every evaluation draws the same numbers,
     * so a change between two is the policy's, not the sampler's.
     *
     * @param batchSize completions per generation call ({@code --per_device_eval_batch_size}), in whole groups
     *        (at least one)
     */
    @Override
    public Map<String, Double> evaluate(List<AlignData.Prompt> prompts, int batchSize) {
        int promptsPerCall = Math.max(1, batchSize / args.numGenerations());
        List<AlignData.Prompt> owners = new ArrayList<>();
        List<Generator.Result> generated = new ArrayList<>();
        for (int from = 0, call = 0; from < prompts.size(); from += promptsPerCall, call++) {
            List<AlignData.Prompt> group = prompts.subList(from, Math.min(prompts.size(), from + promptsPerCall));
            generated.addAll(generate(group, evalSeed(call), owners));
        }
        RewardScores scores = rewards.score(rewardSamples(owners, generated));
        scores.warnings().forEach(w -> LOG.log(System.Logger.Level.WARNING, "evaluation: {0}", w));
        return rolloutMetrics(scores, advantages(scores.total()).zeroStdShare(), generated);
    }

    /**
     * The seed of the evaluation's {@code call}-th generation call: training's step seeds are
     * {@code seed * 1_000_003 + step} with {@code step >= 0}, so the evaluation takes those below them.
     */
    private long evalSeed(int call) {
        return args.common().seed() * 1_000_003L - 1 - call;
    }

    /** Samples {@code num_generations} completions of every prompt, scores them and turns the rewards into advantages. */
    @Override
    public StepWork prepare(long step, List<AlignData.Prompt> chosen, TrainerOptions options) {
        long sampleStart = System.nanoTime();
        List<AlignData.Prompt> owners = new ArrayList<>();
        List<Generator.Result> generated = generate(chosen, options.seed() * 1_000_003L + step, owners);
        double samplingSeconds = (System.nanoTime() - sampleStart) / 1e9;

        long rewardStart = System.nanoTime();
        List<SftExample> sequences = new ArrayList<>();
        long completionTokens = 0;
        for (int i = 0; i < generated.size(); i++) {
            Generator.Result r = generated.get(i);
            AlignData.Prompt p = owners.get(i);
            sequences.add(sequence(p, r.tokens()));
            completionTokens += r.tokens().length;
        }
        RewardScores scores = rewards.score(rewardSamples(owners, generated));
        double rewardSeconds = (System.nanoTime() - rewardStart) / 1e9;
        Advantages adv = advantages(scores.total());
        float[] advantages = adv.advantages();
        Map<String, Object> extras = new LinkedHashMap<>(rolloutMetrics(scores, adv.zeroStdShare(), generated));
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

    /**
     * {@code num_generations} completions of every prompt in one batched call, laid out prompt by prompt
     * (Generator mixes each row's seed into {@code seed}); each completion's prompt is added to {@code owners}.
     */
    private List<Generator.Result> generate(List<AlignData.Prompt> prompts, long seed, List<AlignData.Prompt> owners) {
        List<int[]> inputs = new ArrayList<>();
        List<ExampleMedia> media = new ArrayList<>();
        Set<Integer> placeholders = new HashSet<>();
        for (AlignData.Prompt prompt : prompts) {
            placeholders.addAll(prompt.mediaTokens());
            for (int round = 0; round < args.numGenerations(); round++) {
                inputs.add(prompt.promptIds());
                media.add(prompt.media()); // every completion of a prompt sees its images
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
                seed,
                eosIds,
                placeholders, // a media placeholder ends a completion (and is cut off it: see sequence)
                List.of());
        if (media.stream().allMatch(m -> m == null)) {
            return Generator.generate(policy, inputs, sampling, adapter, null, null);
        }
        NDManager parent = policy.parameters().values().iterator().next().getManager();
        List<Generator.Result> results;
        try (NDManager m = parent.newSubManager()) {
            // the rows' media joined in row order, as a batch of training sequences carries them
            results = Generator.generate(policy, inputs, ExampleMedia.batch(m, media), sampling, adapter, null, null);
        }
        List<Generator.Result> trimmed = new ArrayList<>();
        for (Generator.Result r : results) {
            int[] tokens = r.tokens();
            boolean placeholder = tokens.length > 0 && placeholders.contains(tokens[tokens.length - 1]);
            trimmed.add(
                    placeholder
                            ? new Generator.Result(Arrays.copyOf(tokens, tokens.length - 1), r.text(), r.finishReason())
                            : r);
        }
        return trimmed;
    }

    /**
     * What the reward functions see of each completion: its prompt's messages (media paths made absolute) and
     * columns, its text without EOS.
     */
    private List<RewardSample> rewardSamples(List<AlignData.Prompt> owners, List<Generator.Result> generated) {
        List<RewardSample> samples = new ArrayList<>();
        for (int i = 0; i < generated.size(); i++) {
            Generator.Result r = generated.get(i);
            AlignData.Prompt p = owners.get(i);
            int[] text =
                    Arrays.stream(r.tokens()).filter(t -> !eosIds.contains(t)).toArray();
            samples.add(new RewardSample(
                    PromptMediaPaths.resolved(p.messages(), SftExample.datasetFolder(p.source())),
                    decoder.apply(text),
                    r.tokens(),
                    p.columns()));
        }
        return samples;
    }

    /**
     * Group-relative advantages of the total rewards.
     *
     * @param advantages one per completion
     * @param zeroStdShare the share of groups whose rewards are all equal (TRL's {@code frac_reward_zero_std})
     */
    private record Advantages(float[] advantages, double zeroStdShare) {}

    private Advantages advantages(double[] totals) {
        NDManager parent = policy.parameters().values().iterator().next().getManager();
        try (NDManager m = parent.newSubManager()) {
            GroupAdvantages.Result adv =
                    GroupAdvantages.compute(m.create(totals), args.numGenerations(), args.scaleRewards());
            return new Advantages(
                    adv.advantages().toType(DataType.FLOAT32, false).toFloatArray(), adv.fracRewardZeroStd());
        }
    }

    /** TRL's rollout metrics of scored completions, the same in training and evaluation. */
    private static Map<String, Double> rolloutMetrics(
            RewardScores scores, double zeroStdShare, List<Generator.Result> generated) {
        double[] totals = scores.total();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("reward", mean(totals));
        metrics.put("reward_std", std(totals));
        for (String name : scores.perFunction().keySet()) {
            metrics.put("rewards/" + name + "/mean", scores.mean(name));
            metrics.put("rewards/" + name + "/std", scores.std(name));
        }
        metrics.put("frac_reward_zero_std", zeroStdShare);
        int[] lengths = generated.stream().mapToInt(r -> r.tokens().length).toArray();
        long clipped = generated.stream()
                .filter(r -> r.finishReason().equals("length"))
                .count();
        metrics.put(
                "completions/mean_length", Arrays.stream(lengths).asLongStream().sum() / (double) lengths.length);
        metrics.put(
                "completions/min_length", (double) Arrays.stream(lengths).min().orElse(0));
        metrics.put(
                "completions/max_length", (double) Arrays.stream(lengths).max().orElse(0));
        metrics.put("completions/clipped_ratio", clipped / (double) lengths.length);
        return metrics;
    }

    /** Prompt then completion, the loss on the completion tokens only; the prompt's media come along. */
    private static SftExample sequence(AlignData.Prompt prompt, int[] completion) {
        int[] promptIds = prompt.promptIds();
        int[] ids = Arrays.copyOf(promptIds, promptIds.length + completion.length);
        System.arraycopy(completion, 0, ids, promptIds.length, completion.length);
        int[] labels = new int[ids.length];
        Arrays.fill(labels, 0, promptIds.length, ChatEncoder.IGNORE_INDEX);
        System.arraycopy(completion, 0, labels, promptIds.length, completion.length);
        return new SftExample(
                ids, labels, null, prompt.source(), prompt.media(), prompt.attentionBlocksWith(completion.length));
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
