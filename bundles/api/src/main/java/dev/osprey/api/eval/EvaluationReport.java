package dev.osprey.api.eval;

import java.nio.file.Path;
import java.util.Map;

/**
 * The result of an evaluation.
 *
 * @param metrics by name, e.g. {@code accuracy}, {@code perplexity}
 * @param details a file with per-sample results, or null
 */
public record EvaluationReport(Map<String, Double> metrics, Path details) {

    public EvaluationReport {
        metrics = Map.copyOf(metrics);
    }
}
