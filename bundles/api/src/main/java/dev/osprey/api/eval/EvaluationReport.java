package dev.osprey.api.eval;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The result of an evaluation.
 *
 * @param metrics by name, e.g. {@code accuracy}, {@code perplexity}
 * @param details a file with per-sample results, or null
 * @param subsets each metric's score per subset of the benchmark, for reports and tables; may be empty
 */
public record EvaluationReport(Map<String, Double> metrics, Path details, List<SubsetScore> subsets) {

    public EvaluationReport {
        metrics = Map.copyOf(metrics);
        subsets = List.copyOf(subsets);
    }

    /** A report without per-subset scores. */
    public EvaluationReport(Map<String, Double> metrics, Path details) {
        this(metrics, details, List.of());
    }
}
