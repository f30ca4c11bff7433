package dev.osprey.align.rlhf;

import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;

import dev.osprey.align.loss.RewardModelLoss;
import dev.osprey.train.loop.MicroBatchObjective;
import dev.osprey.train.sft.Batch;

/** The objective of a reward model ({@code --rlhf_type rm}): the pairwise loss of its scores, chosen above rejected. */
final class RewardModelObjective extends MicroBatchObjective<AlignData.Pair> {

    private final RewardModel model;
    private final double centerRewardsCoefficient;

    RewardModelObjective(RewardModel model, double centerRewardsCoefficient) {
        super(model.decoder());
        this.model = model;
        this.centerRewardsCoefficient = centerRewardsCoefficient;
    }

    @Override
    protected long tokens(AlignData.Pair pair) {
        return pair.chosen().length() + pair.rejected().length();
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<AlignData.Pair> pairs, int accumulation, Gradients gradients) {
        int b = pairs.size();
        Batch batch = PreferenceObjective.rows(m, pairs); // (2B, T)
        try (GradientCollector collector = gradients.open()) {
            NDArray scores = model.scores(batch, gradients.training()); // (2B)
            return PreferenceObjective.metrics(
                    new RewardModelLoss(centerRewardsCoefficient)
                            .compute(scores.get(new NDIndex("0:{}", b)), scores.get(new NDIndex("{}:", b)), null),
                    collector,
                    gradients,
                    accumulation);
        }
    }
}
