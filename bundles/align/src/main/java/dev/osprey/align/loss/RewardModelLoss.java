package dev.osprey.align.loss;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;

/**
 * The pairwise (Bradley-Terry) loss of a reward model: follows TRL {@code trl/trainer/reward_trainer.py},
 * {@code RewardTrainer.compute_loss}.
 *
 * <pre>
 * loss = -mean(logsigmoid(r_chosen - r_rejected [- margin]))
 *        [+ center_rewards_coefficient * mean((r_chosen + r_rejected)^2)]
 * </pre>
 * TRL's default {@code center_rewards_coefficient} is None (off): pass 0.
 */
public final class RewardModelLoss {

    private final double centerRewardsCoefficient;

    /** No centring term. */
    public RewardModelLoss() {
        this(0.0);
    }

    public RewardModelLoss(double centerRewardsCoefficient) {
        if (centerRewardsCoefficient < 0) {
            throw new IllegalArgumentException(
                    "center_rewards_coefficient must be >= 0, got " + centerRewardsCoefficient);
        }
        this.centerRewardsCoefficient = centerRewardsCoefficient;
    }

    /**
     * @param chosen the reward model's scores of the chosen completions (B)
     * @param rejected its scores of the rejected completions (B)
     * @param margin the dataset's {@code margin} column (B), or null
     */
    public LossOutput compute(NDArray chosen, NDArray rejected, NDArray margin) {
        LossMath.requireSameVector("reward-model scores", chosen, rejected);
        NDArray diff = chosen.sub(rejected); // (B)
        if (margin != null) {
            LossMath.requireSameVector("reward-model margin", chosen, margin);
            diff = diff.sub(margin);
        }
        NDArray loss = LossMath.logSigmoid(diff).mean().neg();
        if (centerRewardsCoefficient != 0) {
            loss = loss.add(Scalars.mul(chosen.add(rejected).square().mean(), centerRewardsCoefficient));
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", LossMath.fraction(chosen.gt(rejected)));
        metrics.put("margin", LossMath.mean(chosen.sub(rejected)));
        metrics.put("rewards/chosen", LossMath.mean(chosen));
        metrics.put("rewards/rejected", LossMath.mean(rejected));
        return new LossOutput(loss, metrics);
    }
}
