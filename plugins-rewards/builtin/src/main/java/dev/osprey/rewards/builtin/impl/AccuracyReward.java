package dev.osprey.rewards.builtin.impl;

import java.util.List;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * {@code accuracy}: 1.0 when the completion's final answer equals the row's {@code solution} column, else
 * 0.0 (ms-swift {@code swift/plugin/orm.py}, {@code MathAccuracy}). ms-swift verifies with
 * {@code math_verify}; this implements its numeric subset, described on {@link MathAnswers}. A row without
 * a {@code solution} column is an error naming the sample; a blank solution scores 0, as an unparseable
 * gold answer does in ms-swift.
 */
@Component(service = RewardFunction.class)
public class AccuracyReward implements RewardFunction {

    static final String NAME = "accuracy";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 if the final answer (last \\boxed{}, <answer>, or last number) equals the solution column";
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = correct(samples.get(i), i, NAME) ? 1.0 : 0.0;
        }
        return scores;
    }

    /** Whether a sample's completion answers its solution; shared with {@code cosine}. */
    static boolean correct(RewardSample sample, int index, String reward) {
        Object solution = sample.column("solution")
                .orElseThrow(
                        () -> new IllegalArgumentException("reward '" + reward + "' needs a 'solution' column; sample "
                                + index + " has only " + sample.columns().keySet()));
        String gold = solution.toString();
        if (gold.isBlank()) {
            return false;
        }
        return MathAnswers.extract(sample.completion())
                .map(answer -> MathAnswers.agree(answer, MathAnswers.gold(gold)))
                .orElse(false);
    }
}
