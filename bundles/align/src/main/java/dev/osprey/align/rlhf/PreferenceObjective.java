package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;

import dev.osprey.align.loss.CpoLoss;
import dev.osprey.align.loss.DpoLoss;
import dev.osprey.align.loss.LabelLogps;
import dev.osprey.align.loss.LossOutput;
import dev.osprey.align.loss.OrpoLoss;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.train.loop.MicroBatchObjective;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftExample;

/**
 * The objective of the paired preference methods — DPO (with its loss types and RPO), SimPO, ORPO and CPO:
 * chosen and rejected run as one padded batch, the policy's log-probabilities with gradients (adapter on),
 * DPO's reference's without (adapter off, or the frozen copy), and the loss of {@code dev.osprey.align.loss}
 * with TRL's metrics ({@code rewards/chosen}, {@code rewards/accuracies}, {@code rewards/margins}, ...).
 */
final class PreferenceObjective extends MicroBatchObjective<AlignData.Pair> {

    private final RlhfArguments args;
    private final LanguageModel policy;
    private final String adapter;
    private final LanguageModel reference;

    /** @param reference DPO's reference: the policy itself (run with the adapter off) or a frozen copy; null for the others */
    PreferenceObjective(RlhfArguments args, LanguageModel policy, String adapter, LanguageModel reference) {
        super(policy);
        this.args = args;
        this.policy = policy;
        this.adapter = adapter;
        this.reference = reference;
    }

    @Override
    protected long tokens(AlignData.Pair pair) {
        return pair.chosen().length() + pair.rejected().length();
    }

    /** The rows of a batch of pairs, (2B, T): the chosen rows, then the rejected rows. */
    static Batch rows(NDManager m, List<AlignData.Pair> pairs) {
        List<SftExample> rows = new ArrayList<>();
        pairs.forEach(p -> rows.add(p.chosen()));
        pairs.forEach(p -> rows.add(p.rejected()));
        return Batch.of(m, rows, 0);
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<AlignData.Pair> pairs, int accumulation, Gradients gradients) {
        int b = pairs.size();
        Batch batch = rows(m, pairs); // (2B, T)
        RlhfArguments.Type type = args.type();
        boolean averaged = type == RlhfArguments.Type.SIMPO
                || type == RlhfArguments.Type.ORPO
                || (type == RlhfArguments.Type.DPO && args.dpoType() == DpoLoss.Type.IPO)
                || (type == RlhfArguments.Type.CPO && args.cpoType() == CpoLoss.Type.IPO);
        NDArray refChosen = null;
        NDArray refRejected = null;
        if (type == RlhfArguments.Type.DPO) {
            LabelLogps ref = LabelLogps.ofCausal(batch.logits(reference, null, false), batch.labels());
            NDArray r = (averaged ? ref.mean() : ref.sum()).stopGradient(); // (2B)
            refChosen = r.get(new NDIndex("0:{}", b));
            refRejected = r.get(new NDIndex("{}:", b));
        }
        try (GradientCollector collector = gradients.open()) {
            LabelLogps logps = LabelLogps.ofCausal(batch.logits(policy, adapter, gradients.training()), batch.labels());
            NDArray summed = averaged ? logps.mean() : logps.sum(); // (2B)
            NDArray chosen = summed.get(new NDIndex("0:{}", b));
            NDArray rejected = summed.get(new NDIndex("{}:", b));
            NDArray chosenNll = logps.perToken()
                    .get(new NDIndex("0:{}", b))
                    .sum()
                    .neg()
                    .div(Scalars.maximum(
                            logps.mask().get(new NDIndex("0:{}", b)).sum(), 1)); // token-mean NLL of the chosen rows
            LossOutput out = switch (type) {
                case DPO -> {
                    LossOutput dpo = new DpoLoss(args.beta(), args.dpoType(), args.labelSmoothing())
                            .compute(chosen, rejected, refChosen, refRejected);
                    if (args.rpoAlpha() > 0) { // RPO: DPO plus alpha times the chosen NLL
                        Map<String, Double> metrics = new LinkedHashMap<>(dpo.metrics());
                        metrics.put("nll_loss", scalar(chosenNll));
                        yield new LossOutput(dpo.loss().add(Scalars.mul(chosenNll, args.rpoAlpha())), metrics);
                    }
                    yield dpo;
                }
                case CPO, SIMPO ->
                    new CpoLoss(args.beta(), args.cpoType(), args.labelSmoothing(), args.cpoAlpha(), args.simpoGamma())
                            .compute(chosen, rejected, chosenNll);
                case ORPO -> new OrpoLoss(args.beta()).compute(chosen, rejected, chosenNll);
                default -> throw new IllegalStateException("not a paired preference method: " + type);
            };
            return metrics(out, collector, gradients, accumulation);
        }
    }

    /** The loss and its metrics, after the backward pass of the loss when training. */
    static Map<String, Double> metrics(
            LossOutput out, GradientCollector collector, Gradients gradients, int accumulation) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", scalar(out.loss()));
        metrics.putAll(out.metrics());
        gradients.backward(collector, out.loss(), accumulation);
        return metrics;
    }

    /** A scalar's value whatever its float type (some losses come back in float64). */
    static double scalar(NDArray x) {
        return x.stopGradient().toType(DataType.FLOAT64, false).getDouble();
    }
}
