package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.align.loss.KtoLoss;
import dev.osprey.align.loss.LabelLogps;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.train.loop.MicroBatchObjective;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftExample;

/**
 * The objective of KTO: desirable and undesirable answers with the KL estimate from each example's
 * mismatched pair, the policy with gradients and the reference without.
 */
final class KtoObjective extends MicroBatchObjective<AlignData.KtoExample> {

    private final RlhfArguments args;
    private final LanguageModel policy;
    private final String adapter;
    private final LanguageModel reference;

    KtoObjective(RlhfArguments args, LanguageModel policy, String adapter, LanguageModel reference) {
        super(policy);
        this.args = args;
        this.policy = policy;
        this.adapter = adapter;
        this.reference = reference;
    }

    @Override
    protected long tokens(AlignData.KtoExample e) {
        return e.example().length() + e.mismatched().length();
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<AlignData.KtoExample> examples, int accumulation, Gradients gradients) {
        // rows: desirable answers, undesirable answers, then every example's mismatched pair (for the KL estimate)
        List<SftExample> rows = new ArrayList<>();
        examples.stream().filter(AlignData.KtoExample::desirable).forEach(e -> rows.add(e.example()));
        int nc = rows.size();
        examples.stream().filter(e -> !e.desirable()).forEach(e -> rows.add(e.example()));
        int n = rows.size();
        examples.forEach(e -> rows.add(e.mismatched()));
        Batch batch = Batch.of(m, rows, 0); // (2N, T)
        NDArray ref = LabelLogps.ofCausal(batch.logits(reference, null, false), batch.labels())
                .sum()
                .stopGradient(); // (2N)
        try (GradientCollector collector = gradients.open()) {
            NDArray policyLogps = LabelLogps.ofCausal(
                            batch.logits(policy, adapter, gradients.training()), batch.labels())
                    .sum(); // (2N)
            return PreferenceObjective.metrics(
                    new KtoLoss(args.beta(), args.desirableWeight(), args.undesirableWeight())
                            .compute(
                                    slice(policyLogps, 0, nc),
                                    slice(policyLogps, nc, n),
                                    slice(policyLogps, n, 2 * n).stopGradient(),
                                    slice(ref, 0, nc),
                                    slice(ref, nc, n),
                                    slice(ref, n, 2 * n)),
                    collector,
                    gradients,
                    accumulation);
        }
    }

    /** Rows [from, to) of a vector; an empty range gives an empty vector. */
    private static NDArray slice(NDArray v, int from, int to) {
        return from == to ? v.getManager().zeros(new Shape(0), v.getDataType()) : v.get(new NDIndex("{}:{}", from, to));
    }
}
