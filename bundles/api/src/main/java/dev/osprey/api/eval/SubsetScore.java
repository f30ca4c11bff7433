package dev.osprey.api.eval;

import java.util.Objects;

/**
 * One metric's score on one subset (subject) of a benchmark, as EvalScope's reports list them.
 *
 * @param metric the metric, e.g. {@code acc}
 * @param subset the subset, e.g. {@code abstract_algebra}
 * @param num the number of samples scored
 * @param score the score over them
 */
public record SubsetScore(String metric, String subset, int num, double score) {

    public SubsetScore {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(subset, "subset");
        if (num < 0) {
            throw new IllegalArgumentException("num must be >= 0, was " + num);
        }
    }
}
