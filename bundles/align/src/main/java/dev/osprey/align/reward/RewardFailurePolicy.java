package dev.osprey.align.reward;

import java.util.Locale;

/** What a failing reward function does to the job ({@code --reward_failure}). */
public enum RewardFailurePolicy {
    /** Stop the job with the failure (the default: a broken reward should not train silently). */
    FAIL,
    /** Score that function's samples 0 for this step, and warn. */
    ZERO;

    /** The policy for {@code fail} or {@code zero}. */
    public static RewardFailurePolicy parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "fail" -> FAIL;
            case "zero" -> ZERO;
            default -> throw new IllegalArgumentException("--reward_failure must be fail or zero, got '" + value + "'");
        };
    }
}
