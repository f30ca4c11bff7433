package com.example.osprey.reward;

import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * A length-aware reward, the custom reward of ms-swift's GRPO example ported to Osprey; selected with
 * {@code --reward_funcs custom_length}.
 *
 * <p>Per completion: {@value #BANNED_SCORE} if it contains {@value #BANNED_WORD}; otherwise
 * {@value #LONG_SCORE} if it is longer than {@value #LONG_THRESHOLD} characters; otherwise
 * {@value #SHORT_SCORE}. Length is {@link String#length()}, i.e. UTF-16 code units: a CJK character
 * counts 1, a character outside the BMP (most emoji) counts 2.
 *
 * <p>Thread-safe: the only field is written once, at activation, before DS publishes the service, and
 * {@link #score} keeps no state between calls.
 */
@Component(service = RewardFunction.class)
public class LengthReward implements RewardFunction {

    /** The name users select the reward by. */
    public static final String NAME = "custom_length";

    static final String BANNED_WORD = "违法";
    static final double BANNED_SCORE = -1.0;
    static final int LONG_THRESHOLD = 50;
    static final double LONG_SCORE = 0.8;
    static final double SHORT_SCORE = 0.5;

    private String description = describe("unknown");

    /** DS calls this before the service is used; the bundle version shows which build is active. */
    @Activate
    void activate(BundleContext context) {
        description = describe(context.getBundle().getVersion().toString());
    }

    static String describe(String version) {
        return "length-aware example reward (v" + version + ")";
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        double[] scores = new double[samples.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = score(samples.get(i).completion());
        }
        return scores;
    }

    /** The score of one completion. */
    static double score(String completion) {
        if (completion.contains(BANNED_WORD)) {
            return BANNED_SCORE;
        }
        return completion.length() > LONG_THRESHOLD ? LONG_SCORE : SHORT_SCORE;
    }
}
