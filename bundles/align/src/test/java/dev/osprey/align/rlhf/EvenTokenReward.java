package dev.osprey.align.rlhf;

import java.util.Arrays;
import java.util.List;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/** A reward that differs between completions of any model, even an untrained one: the share of even token ids. */
final class EvenTokenReward implements RewardFunction {

    @Override
    public String name() {
        return "even";
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        return samples.stream()
                .mapToDouble(s -> Arrays.stream(s.completionTokenIds())
                                .filter(t -> t % 2 == 0)
                                .count()
                        / (double) Math.max(1, s.completionTokenIds().length))
                .toArray();
    }
}
