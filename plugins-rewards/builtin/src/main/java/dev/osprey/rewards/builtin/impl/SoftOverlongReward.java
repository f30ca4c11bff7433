package dev.osprey.rewards.builtin.impl;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;

import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;

/**
 * {@code soft_overlong}: DAPO's soft overlong punishment (ms-swift {@code swift/plugin/orm.py},
 * {@code SoftOverlong}). With L the completion's length in tokens:
 *
 * <pre>
 * expected = soft_max_length - soft_cache_length
 * reward   = min(-(L - expected) / soft_cache_length, 0)
 * </pre>
 * 0 up to {@code expected} tokens, then falling linearly to -1 at {@code soft_max_length} (and on, as in
 * ms-swift). Settings: {@code soft_max_length} [512, ms-swift's default max_completion_length, which it
 * falls back to] and {@code soft_cache_length} (required, below soft_max_length), from the constructor's
 * map or the Config Admin PID {@code dev.osprey.rewards.soft_overlong}. Without soft_cache_length every
 * call fails with a message naming the setting.
 */
@Component(
        service = RewardFunction.class,
        configurationPid = "dev.osprey.rewards.soft_overlong",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class SoftOverlongReward implements RewardFunction {

    static final String NAME = "soft_overlong";

    private final int softMaxLength;
    private final Integer softCacheLength;

    public SoftOverlongReward() {
        this(Map.of());
    }

    /** @param settings ms-swift argument names to values */
    @Activate
    public SoftOverlongReward(Map<String, ?> settings) {
        Settings s = new Settings(NAME, settings);
        softMaxLength = s.integer("soft_max_length", 512);
        softCacheLength = s.integer("soft_cache_length", null);
        if (softCacheLength != null && (softCacheLength < 1 || softCacheLength >= softMaxLength)) {
            throw new IllegalArgumentException(
                    "reward 'soft_overlong': setting soft_cache_length must be in [1, soft_max_length " + softMaxLength
                            + "), got " + softCacheLength);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "DAPO soft overlong punishment near soft_max_length " + softMaxLength;
    }

    @Override
    public double[] score(List<RewardSample> samples) {
        if (softCacheLength == null) {
            throw new IllegalStateException(
                    "reward 'soft_overlong' needs the setting soft_cache_length (e.g. 20% of soft_max_length "
                            + softMaxLength + "); set it in PID dev.osprey.rewards.soft_overlong");
        }
        double[] scores = new double[samples.size()];
        int expected = softMaxLength - softCacheLength;
        for (int i = 0; i < scores.length; i++) {
            int exceed = TokenLengths.of(samples.get(i), i, NAME) - expected;
            scores[i] = Math.min(-(double) exceed / softCacheLength, 0) + 0.0;
        }
        return scores;
    }
}
