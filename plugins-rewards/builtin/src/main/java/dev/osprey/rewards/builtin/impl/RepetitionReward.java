package dev.osprey.rewards.builtin.impl;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * {@code repetition}: penalises repeated word n-grams (ms-swift {@code swift/plugin/orm.py},
 * {@code RepetitionPenalty}, after arXiv 2502.03373). Words are the lower-cased completion split on
 * whitespace; with N the number of n-grams and U the distinct ones:
 * {@code reward = (1 - U / N) * repetition_max_penalty}, and 0 for an empty completion or one shorter than
 * n words. Settings: {@code repetition_n_grams} [3], {@code repetition_max_penalty} [-1.0], from the
 * constructor's map or the Config Admin PID {@code dev.osprey.rewards.repetition}.
 */
@Component(
        service = RewardFunction.class,
        configurationPid = "dev.osprey.rewards.repetition",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class RepetitionReward implements RewardFunction {

    static final String NAME = "repetition";

    private final int ngramSize;
    private final double maxPenalty;

    public RepetitionReward() {
        this(Map.of());
    }

    /** @param settings ms-swift argument names to values; absent ones keep their defaults */
    @Activate
    public RepetitionReward(Map<String, ?> settings) {
        Settings s = new Settings(NAME, settings);
        ngramSize = s.integer("repetition_n_grams", 3);
        maxPenalty = s.number("repetition_max_penalty", -1.0);
        if (ngramSize < 1) {
            throw new IllegalArgumentException(
                    "reward 'repetition': setting repetition_n_grams must be >= 1, got " + ngramSize);
        }
        if (maxPenalty > 0) {
            throw new IllegalArgumentException(
                    "reward 'repetition': setting repetition_max_penalty must be <= 0, got " + maxPenalty);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "penalty for repeated " + ngramSize + "-grams of words, down to " + maxPenalty;
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = score(samples.get(i).completion());
        }
        return scores;
    }

    double score(String completion) {
        String trimmed = completion.toLowerCase(Locale.ROOT).strip();
        if (trimmed.isEmpty()) {
            return 0.0;
        }
        String[] words = trimmed.split("(?U)\\s+"); // Python's str.split(): Unicode whitespace runs
        if (words.length < ngramSize) {
            return 0.0;
        }
        Set<List<String>> distinct = new HashSet<>();
        int total = words.length - ngramSize + 1;
        for (int i = 0; i < total; i++) {
            distinct.add(List.of(words).subList(i, i + ngramSize));
        }
        return (1 - (double) distinct.size() / total) * maxPenalty + 0.0; // + 0.0 turns -0.0 into 0.0
    }
}
