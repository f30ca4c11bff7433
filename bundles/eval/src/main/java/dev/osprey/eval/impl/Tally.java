package dev.osprey.eval.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.osprey.api.eval.SubsetScore;

/**
 * Sums and counts of per-sample scores by metric, per subset in the order subsets first appear: an answer right or
 * wrong scores 1 or 0 (accuracy), a graded one its value (TruthfulQA's mc2, ROUGE, BLEU); a metric's score is the
 * mean over its samples.
 */
final class Tally {

    private final Map<String, Map<String, double[]>> bySubset =
            new LinkedHashMap<>(); // subset -> metric -> {sum, count}

    /** Counts one answer of {@code subset} for {@code metric}. */
    void add(String subset, String metric, boolean right) {
        add(subset, metric, right ? 1.0 : 0.0);
    }

    /** Counts one sample's {@code score} of {@code subset} for {@code metric}. */
    void add(String subset, String metric, double score) {
        double[] sums = bySubset.computeIfAbsent(subset, s -> new LinkedHashMap<>())
                .computeIfAbsent(metric, m -> new double[2]);
        sums[0] += score;
        sums[1]++;
    }

    /** The mean of {@code metric} over every subset's samples (micro-averaged); 0 before any sample. */
    double accuracy(String metric) {
        double sum = 0;
        double count = 0;
        for (Map<String, double[]> metrics : bySubset.values()) {
            double[] sums = metrics.getOrDefault(metric, new double[2]);
            sum += sums[0];
            count += sums[1];
        }
        return count == 0 ? 0 : sum / count;
    }

    /** The metrics counted, in the order they were first counted. */
    List<String> metrics() {
        List<String> names = new ArrayList<>();
        bySubset.values()
                .forEach(
                        m -> m.keySet().stream().filter(n -> !names.contains(n)).forEach(names::add));
        return names;
    }

    /** Each subset's score per metric. */
    List<SubsetScore> subsets() {
        List<SubsetScore> scores = new ArrayList<>();
        bySubset.forEach((subset, metrics) -> metrics.forEach(
                (metric, sums) -> scores.add(new SubsetScore(metric, subset, (int) sums[1], sums[0] / sums[1]))));
        return scores;
    }

    /** {@code METRIC/SUBSET} entries for {@code metric}, as the reports so far name them. */
    Map<String, Double> perSubset(String metric) {
        Map<String, Double> scores = new LinkedHashMap<>();
        subsets().stream()
                .filter(s -> s.metric().equals(metric))
                .forEach(s -> scores.put(metric + "/" + s.subset(), s.score()));
        return scores;
    }
}
