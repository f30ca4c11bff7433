package dev.osprey.align.loss;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;

/**
 * A loss value ready for {@code backward}, with the metrics TRL logs for it (e.g. {@code rewards/chosen},
 * {@code rewards/accuracies}, {@code kl}), already reduced to plain numbers.
 *
 * @param loss the scalar loss, attached to the autograd graph of its inputs
 * @param metrics metric name to value, in the order TRL logs them
 */
public record LossOutput(NDArray loss, Map<String, Double> metrics) {

    public LossOutput {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** The value of one metric. */
    public double metric(String name) {
        Double value = metrics.get(name);
        if (value == null) {
            throw new IllegalArgumentException("no metric '" + name + "'; present: " + metrics.keySet());
        }
        return value;
    }
}
