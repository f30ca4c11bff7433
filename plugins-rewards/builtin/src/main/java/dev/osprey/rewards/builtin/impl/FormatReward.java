package dev.osprey.rewards.builtin.impl;

import java.util.List;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * {@code format}: 1.0 when the whole completion is {@code <think>...</think>} then {@code <answer>...</answer>}
 * (whitespace between), else 0.0 (ms-swift {@code swift/plugin/orm.py}, {@code Format}: the same pattern
 * with DOTALL, matched from the start to the very end).
 */
@Component(service = RewardFunction.class)
public class FormatReward implements RewardFunction {

    static final String NAME = "format";

    private static final Pattern FORMAT = Pattern.compile(
            "^<think>.*?</think>\\s*<answer>.*?</answer>(?![\\s\\S])", Pattern.DOTALL | Pattern.MULTILINE);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 if the completion is <think>...</think><answer>...</answer>";
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < scores.length; i++) {
            // Python's re.match: anchored at the start only; the lookahead anchors the end
            scores[i] = FORMAT.matcher(samples.get(i).completion()).lookingAt() ? 1.0 : 0.0;
        }
        return scores;
    }
}
