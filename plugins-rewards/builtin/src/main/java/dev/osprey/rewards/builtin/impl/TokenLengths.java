package dev.osprey.rewards.builtin.impl;

import dev.osprey.api.reward.RewardSample;

/** The completion length in tokens, which the length-aware rewards measure. */
final class TokenLengths {

    private TokenLengths() {}

    /** Fails when a non-empty completion comes without its token ids, rather than scoring it as length 0. */
    static int of(RewardSample sample, int index, String reward) {
        int n = sample.completionTokenIds().length;
        if (n == 0 && !sample.completion().isEmpty()) {
            throw new IllegalArgumentException("reward '" + reward + "' measures completions in tokens, but sample "
                    + index + " has text and no completion token ids");
        }
        return n;
    }
}
