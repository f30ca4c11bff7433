package dev.osprey.align.loss;

import java.util.Locale;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;

/**
 * GRPO advantages: each completion's reward relative to the other completions of its prompt. Follows TRL
 * {@code trl/trainer/grpo_trainer.py}, {@code GRPOTrainer._generate_and_score_completions}:
 *
 * <pre>
 * advantages = rewards - mean over the group of num_generations completions
 * std        = unbiased std of the group ("group") or of the whole batch ("batch")
 * advantages = advantages / (std + 1e-4)        unless scale_rewards is "none"
 * </pre>
 * Rewards are laid out prompt by prompt: samples {@code [g*G, (g+1)*G)} belong to prompt g.
 */
public final class GroupAdvantages {

    /** TRL's {@code scale_rewards}; default {@link #GROUP}. */
    public enum ScaleRewards {
        GROUP,
        BATCH,
        NONE;

        /** The mode for TRL's name; {@code true}/{@code false} are the older boolean spellings. */
        public static ScaleRewards parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            return switch (n) {
                case "group", "true" -> GROUP;
                case "batch" -> BATCH;
                case "none", "false" -> NONE;
                default ->
                    throw new IllegalArgumentException(
                            "unknown scale_rewards '" + name + "'; one of group, batch, none");
            };
        }
    }

    /**
     * @param advantages one per sample (N)
     * @param std the standard deviation each sample was scaled by, or would have been for "none" (N)
     * @param fracRewardZeroStd the fraction of samples whose std is 0 (TRL logs it as frac_reward_zero_std)
     */
    public record Result(NDArray advantages, NDArray std, double fracRewardZeroStd) {}

    private static final double EPS = 1e-4;

    private GroupAdvantages() {}

    /**
     * @param rewards the weighted total reward per sample (N), N a multiple of numGenerations
     * @param numGenerations completions per prompt (G)
     */
    public static Result compute(NDArray rewards, int numGenerations, ScaleRewards scale) {
        if (rewards.getShape().dimension() != 1
                || numGenerations < 1
                || rewards.getShape().get(0) % numGenerations != 0) {
            throw new IllegalArgumentException("rewards " + rewards.getShape()
                    + " must be a vector whose length is a multiple of num_generations " + numGenerations);
        }
        long n = rewards.getShape().get(0);
        NDArray grouped = rewards.reshape(-1, numGenerations); // (N/G, G)
        NDArray centred = grouped.sub(grouped.mean(new int[] {1}, true)); // (N/G, G)
        NDArray advantages = centred.reshape(n); // (N)
        NDArray std;
        if (scale == ScaleRewards.BATCH) {
            std = n > 1
                    ? unbiasedStd(rewards.sub(rewards.mean()), n).broadcast(n) // () -> (N)
                    : rewards.zerosLike();
        } else {
            std = numGenerations > 1
                    ? unbiasedStd(centred, numGenerations)
                            .expandDims(1)
                            .broadcast(n / numGenerations, numGenerations)
                            .reshape(n) // (N/G) -> (N/G, G) -> (N)
                    : rewards.zerosLike();
        }
        double zeroStd = LossMath.fraction(std.abs().lte(1e-8)); // torch.isclose(std, 0)
        if (scale != ScaleRewards.NONE) {
            advantages = advantages.div(Scalars.add(std, EPS));
        }
        return new Result(advantages, std, zeroStd);
    }

    /** Bessel-corrected std along the last axis of already-centred values (torch.std). */
    private static NDArray unbiasedStd(NDArray centred, long count) {
        return Scalars.div(centred.square().sum(new int[] {-1}), count - 1).sqrt();
    }
}
