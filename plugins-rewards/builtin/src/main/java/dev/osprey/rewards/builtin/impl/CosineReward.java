package dev.osprey.rewards.builtin.impl;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * {@code cosine}: a length-aware accuracy reward (ms-swift {@code swift/plugin/orm.py}, {@code CosineReward},
 * after arXiv 2502.03373). With L the completion's length in tokens and T = {@code cosine_max_len}:
 *
 * <pre>
 * reward = hi - (hi - lo) * (1 - cos(L * pi / T)) / 2
 * correct: hi = cosine_min_len_value_correct (1.0), lo = cosine_max_len_value_correct (0.5)
 * wrong:   hi = cosine_min_len_value_wrong (-0.5),  lo = cosine_max_len_value_wrong (0.0)
 * </pre>
 * so short correct answers earn most and short wrong ones lose most. Correctness is {@code accuracy}'s.
 * Like ms-swift the length is not clamped at T. Settings (ms-swift names, defaults in brackets):
 * {@code cosine_min_len_value_wrong} [-0.5], {@code cosine_max_len_value_wrong} [0.0],
 * {@code cosine_min_len_value_correct} [1.0], {@code cosine_max_len_value_correct} [0.5],
 * {@code cosine_max_len} [1000], from the constructor's map or the Config Admin PID
 * {@code dev.osprey.rewards.cosine}.
 */
@Component(
        service = RewardFunction.class,
        configurationPid = "dev.osprey.rewards.cosine",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class CosineReward implements RewardFunction {

    static final String NAME = "cosine";

    private final double minLenValueWrong;
    private final double maxLenValueWrong;
    private final double minLenValueCorrect;
    private final double maxLenValueCorrect;
    private final int maxLen;

    /** ms-swift's defaults. */
    public CosineReward() {
        this(Map.of());
    }

    /** @param settings ms-swift argument names to values; absent ones keep their defaults */
    @Activate
    public CosineReward(Map<String, ?> settings) {
        Settings s = new Settings(NAME, settings);
        minLenValueWrong = s.number("cosine_min_len_value_wrong", -0.5);
        maxLenValueWrong = s.number("cosine_max_len_value_wrong", 0.0);
        minLenValueCorrect = s.number("cosine_min_len_value_correct", 1.0);
        maxLenValueCorrect = s.number("cosine_max_len_value_correct", 0.5);
        maxLen = s.integer("cosine_max_len", 1000);
        if (maxLen < 1) {
            throw new IllegalArgumentException("reward 'cosine': setting cosine_max_len must be >= 1, got " + maxLen);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "accuracy scaled by a cosine of the completion length (short and right best, short and wrong worst)";
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < scores.length; i++) {
            RewardSample sample = samples.get(i);
            boolean correct = AccuracyReward.correct(sample, i, NAME);
            double hi = correct ? minLenValueCorrect : minLenValueWrong;
            double lo = correct ? maxLenValueCorrect : maxLenValueWrong;
            int length = TokenLengths.of(sample, i, NAME);
            scores[i] = hi - (hi - lo) * (1 - Math.cos(length * Math.PI / maxLen)) / 2;
        }
        return scores;
    }
}
