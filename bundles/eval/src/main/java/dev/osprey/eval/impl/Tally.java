package dev.osprey.eval.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.eval.SubsetScore;

/** Right and asked counts of accuracy metrics, per subset in the order subsets first appear. */
final class Tally {

    private final Map<String, Map<String, int[]>> bySubset =
            new LinkedHashMap<>(); // subset -> metric -> {right, asked}

    /** Counts one answer of {@code subset} for {@code metric}. */
    void add(String subset, String metric, boolean right) {
        int[] counts =
                bySubset.computeIfAbsent(subset, s -> new LinkedHashMap<>()).computeIfAbsent(metric, m -> new int[2]);
        counts[0] += right ? 1 : 0;
        counts[1]++;
    }

    /** The accuracy of {@code metric} over every subset; 0 before any answer. */
    double accuracy(String metric) {
        int right = 0;
        int asked = 0;
        for (Map<String, int[]> metrics : bySubset.values()) {
            int[] counts = metrics.getOrDefault(metric, new int[2]);
            right += counts[0];
            asked += counts[1];
        }
        return asked == 0 ? 0 : right / (double) asked;
    }

    /** Each subset's score per metric. */
    List<SubsetScore> subsets() {
        List<SubsetScore> scores = new ArrayList<>();
        bySubset.forEach((subset, metrics) -> metrics.forEach((metric, counts) ->
                scores.add(new SubsetScore(metric, subset, counts[1], counts[0] / (double) counts[1]))));
        return scores;
    }

    /** {@code acc/SUBSET} entries for {@code metric}, as the reports so far name them. */
    Map<String, Double> perSubset(String metric) {
        Map<String, Double> scores = new LinkedHashMap<>();
        subsets().stream()
                .filter(s -> s.metric().equals(metric))
                .forEach(s -> scores.put(metric + "/" + s.subset(), s.score()));
        return scores;
    }
}
