package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.osprey.align.loss.CpoLoss;
import dev.osprey.align.loss.DpoLoss;
import dev.osprey.align.loss.KtoLoss;
import dev.osprey.align.loss.LabelLogps;
import dev.osprey.align.loss.LossOutput;
import dev.osprey.align.loss.OrpoLoss;
import dev.osprey.align.loss.RewardModelLoss;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.train.optim.OptimizerSteps;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftExample;
import dev.osprey.model.nn.ComputeThreads;

/**
 * The offline alignment loop (DPO, SimPO, ORPO, CPO, KTO and the reward model): seeded shuffled
 * micro-batches of pairs (or KTO examples), chosen and rejected run as one padded batch, the policy's
 * log-probabilities with gradients (adapter on), the reference's without (adapter off, or the frozen copy),
 * the loss of {@code dev.osprey.align.loss}, gradient accumulation, then one {@link OptimizerSteps} update.
 * Each micro-step's arrays live in an {@link NDScope} freed after its backward pass.
 */
final class PreferenceTrainer {

    /**
     * The networks of a run.
     *
     * @param policy the model trained
     * @param adapter its LoRA adapter, or null for full tuning
     * @param reference the reference for DPO/KTO: the policy itself (run with the adapter off) or a frozen copy; null when unused
     * @param rewardModel the reward model being trained (rm), else null
     */
    record Models(LanguageModel policy, String adapter, LanguageModel reference, RewardModel rewardModel) {
    }

    private final RlhfArguments args;
    private final Models models;

    PreferenceTrainer(RlhfArguments args, Models models) {
        this.args = args;
        this.models = models;
    }

    /** Optimizer steps for {@code items} examples. */
    static long totalSteps(int items, RlhfArguments args) {
        var c = args.common();
        if (c.maxSteps() > 0) {
            return c.maxSteps();
        }
        double perEpoch = Math.ceil(items / (double) (c.perDeviceTrainBatchSize() * c.gradientAccumulationSteps()));
        return Math.max(1, (long) Math.ceil(perEpoch * c.numTrainEpochs()));
    }

    /**
     * Trains for {@code total} steps.
     *
     * @param items {@link AlignData.Pair}s, or {@link AlignData.KtoExample}s for KTO
     * @param listener told every step's record (step, loss, learning_rate, grad_norm and the loss's metrics)
     */
    void train(List<?> items, long total, OptimizerSteps optimizer, StepListener listener) throws java.io.IOException {
        try (ComputeThreads threads = ComputeThreads.training()) { // a step's operations use every core
            loop(items, total, optimizer, listener);
        }
    }

    private void loop(List<?> items, long total, OptimizerSteps optimizer, StepListener listener) throws java.io.IOException {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the training set is empty");
        }
        var c = args.common();
        Random order = new Random(c.seed());
        List<Object> epoch = new ArrayList<>();
        NDManager parent = models.policy().parameters().values().iterator().next().getManager();
        for (long step = 0; step < total; step++) {
            List<List<Object>> micro = new ArrayList<>();
            for (int i = 0; i < c.gradientAccumulationSteps(); i++) {
                micro.add(nextBatch(epoch, items, order, c.perDeviceTrainBatchSize()));
            }
            long s = step;
            OptimizerSteps.Update update = optimizer.step(step, () -> {
                parent.getEngine().setRandomSeed((int) (c.seed() * 1_000_003L + s)); // dropout masks by step
                Map<String, Double> sum = new LinkedHashMap<>();
                for (List<Object> batch : micro) {
                    microStep(parent, batch, c.gradientAccumulationSteps()).forEach((k, v) -> sum.merge(k, v, Double::sum));
                }
                sum.replaceAll((k, v) -> v / micro.size());
                return sum;
            });
            long tokens = 0; // every token the step ran through the policy
            for (List<Object> batch : micro) {
                for (Object o : batch) {
                    tokens += o instanceof AlignData.Pair p ? p.chosen().length() + p.rejected().length()
                            : ((AlignData.KtoExample) o).example().length() + ((AlignData.KtoExample) o).mismatched().length();
                }
            }
            Map<String, Object> record = update.logRecord(step + 1, total);
            update.metrics().forEach((k, v) -> {
                if (!k.equals("loss")) {
                    record.put(k, v);
                }
            });
            record.put("num_tokens", tokens);
            listener.step(step + 1, total, record);
        }
    }

    /** Told after every optimizer step. */
    interface StepListener {
        void step(long step, long total, Map<String, Object> record) throws java.io.IOException;
    }

    private Map<String, Double> microStep(NDManager parent, List<Object> batch, int accumulation) {
        try (NDScope scope = new NDScope(); NDManager m = parent.newSubManager()) {
            scope.suppressNotUsedWarning();
            return switch (args.type()) {
                case KTO -> kto(m, batch.stream().map(o -> (AlignData.KtoExample) o).toList(), accumulation);
                default -> paired(m, batch.stream().map(o -> (AlignData.Pair) o).toList(), accumulation);
            };
        }
    }

    private Map<String, Double> paired(NDManager m, List<AlignData.Pair> pairs, int accumulation) {
        int b = pairs.size();
        List<SftExample> rows = new ArrayList<>();
        pairs.forEach(p -> rows.add(p.chosen()));
        pairs.forEach(p -> rows.add(p.rejected()));
        Batch batch = Batch.of(m, rows, 0); // (2B, T): chosen rows, then rejected rows
        RlhfArguments.Type type = args.type();
        boolean averaged = type == RlhfArguments.Type.SIMPO || type == RlhfArguments.Type.ORPO
                || (type == RlhfArguments.Type.DPO && args.dpoType() == DpoLoss.Type.IPO)
                || (type == RlhfArguments.Type.CPO && args.cpoType() == CpoLoss.Type.IPO);
        NDArray refChosen = null;
        NDArray refRejected = null;
        if (type == RlhfArguments.Type.DPO) {
            LabelLogps ref = LabelLogps.ofCausal(forward(models.reference(), null, batch, false), batch.labels());
            NDArray r = (averaged ? ref.mean() : ref.sum()).stopGradient(); // (2B)
            refChosen = r.get(new NDIndex("0:{}", b));
            refRejected = r.get(new NDIndex("{}:", b));
        }
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            LossOutput out;
            if (type == RlhfArguments.Type.RM) {
                NDArray scores = models.rewardModel().scores(batch, true); // (2B)
                out = new RewardModelLoss(args.centerRewardsCoefficient()).compute(scores.get(new NDIndex("0:{}", b)),
                        scores.get(new NDIndex("{}:", b)), null);
            } else {
                LabelLogps policy = LabelLogps.ofCausal(forward(models.policy(), models.adapter(), batch, true), batch.labels());
                NDArray logps = averaged ? policy.mean() : policy.sum(); // (2B)
                NDArray chosen = logps.get(new NDIndex("0:{}", b));
                NDArray rejected = logps.get(new NDIndex("{}:", b));
                NDArray chosenNll = policy.perToken().get(new NDIndex("0:{}", b)).sum().neg()
                        .div(Scalars.maximum(policy.mask().get(new NDIndex("0:{}", b)).sum(), 1)); // token-mean NLL of the chosen rows
                out = switch (type) {
                    case DPO -> {
                        LossOutput dpo = new DpoLoss(args.beta(), args.dpoType(), args.labelSmoothing()).compute(chosen, rejected, refChosen,
                                refRejected);
                        if (args.rpoAlpha() > 0) { // RPO: DPO plus alpha times the chosen NLL
                            Map<String, Double> metrics = new LinkedHashMap<>(dpo.metrics());
                            metrics.put("nll_loss", scalar(chosenNll));
                            yield new LossOutput(dpo.loss().add(Scalars.mul(chosenNll, args.rpoAlpha())), metrics);
                        }
                        yield dpo;
                    }
                    case CPO, SIMPO -> new CpoLoss(args.beta(), args.cpoType(), args.labelSmoothing(), args.cpoAlpha(), args.simpoGamma())
                            .compute(chosen, rejected, chosenNll);
                    case ORPO -> new OrpoLoss(args.beta()).compute(chosen, rejected, chosenNll);
                    default -> throw new IllegalStateException("not a paired method: " + type);
                };
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", scalar(out.loss()));
            metrics.putAll(out.metrics());
            collector.backward(Scalars.div(out.loss(), accumulation));
            return metrics;
        }
    }

    private Map<String, Double> kto(NDManager m, List<AlignData.KtoExample> examples, int accumulation) {
        // rows: desirable answers, undesirable answers, then every example's mismatched pair (for the KL estimate)
        List<SftExample> rows = new ArrayList<>();
        examples.stream().filter(AlignData.KtoExample::desirable).forEach(e -> rows.add(e.example()));
        int nc = rows.size();
        examples.stream().filter(e -> !e.desirable()).forEach(e -> rows.add(e.example()));
        int n = rows.size();
        examples.forEach(e -> rows.add(e.mismatched()));
        Batch batch = Batch.of(m, rows, 0); // (2N, T)
        NDArray ref = LabelLogps.ofCausal(forward(models.reference(), null, batch, false), batch.labels()).sum().stopGradient(); // (2N)
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray policy = LabelLogps.ofCausal(forward(models.policy(), models.adapter(), batch, true), batch.labels()).sum(); // (2N)
            LossOutput out = new KtoLoss(args.beta(), args.desirableWeight(), args.undesirableWeight()).compute(
                    slice(policy, 0, nc), slice(policy, nc, n), slice(policy, n, 2 * n).stopGradient(),
                    slice(ref, 0, nc), slice(ref, nc, n), slice(ref, n, 2 * n));
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("loss", scalar(out.loss()));
            metrics.putAll(out.metrics());
            collector.backward(Scalars.div(out.loss(), accumulation));
            return metrics;
        }
    }

    /** Rows [from, to) of a vector; an empty range gives an empty vector. */
    private static NDArray slice(NDArray v, int from, int to) {
        return from == to ? v.getManager().zeros(new ai.djl.ndarray.types.Shape(0), v.getDataType())
                : v.get(new NDIndex("{}:{}", from, to));
    }

    private static NDArray forward(LanguageModel model, String adapter, Batch batch, boolean training) {
        return model.forward(ForwardRequest.builder(batch.inputIds()).optAttentionMask(batch.attentionMask()).optAdapter(adapter)
                .optTraining(training).build()).logits(); // (B, T, V)
    }

    /** The next micro-batch in the seeded order: each epoch is a fresh shuffle, consumed from its end. */
    private static List<Object> nextBatch(List<Object> epoch, List<?> items, Random order, int size) {
        List<Object> batch = new ArrayList<>();
        while (batch.size() < size) {
            if (epoch.isEmpty()) {
                epoch.addAll(items);
                Collections.shuffle(epoch, order);
            }
            batch.add(epoch.remove(epoch.size() - 1));
        }
        return batch;
    }

    /** A scalar's value whatever its float type (some losses come back in float64). */
    static double scalar(NDArray x) {
        return x.stopGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }
}
