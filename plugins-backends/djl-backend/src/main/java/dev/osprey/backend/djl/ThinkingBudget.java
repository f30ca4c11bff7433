package dev.osprey.backend.djl;

import java.util.Arrays;

/**
 * A request's thinking budget ({@code thinking_budget}): once the sequence has generated that many tokens without
 * ending its thinking itself, the end-of-thinking text (Qwen3's {@code \n</think>\n\n}) is written, one token per
 * step in place of the sampled one, and generation goes on with the answer. One per sequence; not thread-safe.
 */
final class ThinkingBudget {

    private final int budget;
    private final int[] endMarker;
    private final int[] insert;
    private int inserted = -1; // tokens of insert written so far; -1 before the budget ran out
    private boolean ended;

    /**
     * @param budget the most thinking tokens
     * @param endMarker the ids of the end marker alone ({@code </think>}), to notice the model ending on its own
     * @param insert the ids to write when the budget runs out
     */
    ThinkingBudget(int budget, int[] endMarker, int[] insert) {
        if (endMarker.length == 0 || insert.length == 0) {
            throw new IllegalArgumentException("the end-of-thinking marker tokenizes to nothing");
        }
        this.budget = budget;
        this.endMarker = endMarker.clone();
        this.insert = insert.clone();
    }

    /**
     * The token to write next instead of sampling, or -1 to sample.
     *
     * @param generatedTokens the completion so far
     */
    int forced(int[] generatedTokens) {
        if (ended) {
            return -1;
        }
        if (inserted >= 0) {
            if (inserted < insert.length) {
                return insert[inserted++];
            }
            ended = true;
            return -1;
        }
        int n = generatedTokens.length;
        if (n >= endMarker.length
                && Arrays.equals(generatedTokens, n - endMarker.length, n, endMarker, 0, endMarker.length)) {
            ended = true; // the model ended its thinking within budget
            return -1;
        }
        if (n >= budget) {
            inserted = 0;
            return insert[inserted++];
        }
        return -1;
    }
}
