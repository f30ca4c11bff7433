package dev.osprey.align.reward;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rewards of one step.
 *
 * @param total the weighted sum over the reward functions, one per sample
 * @param perFunction each function's own (unweighted) scores, by name in the order given; a function that
 *        failed under the zero policy has all zeros
 * @param warnings one line per failure that was scored 0, naming the function and its bundle
 */
public record RewardScores(double[] total, Map<String, double[]> perFunction, List<String> warnings) {

    public RewardScores {
        perFunction = Collections.unmodifiableMap(new LinkedHashMap<>(perFunction));
        warnings = List.copyOf(warnings);
    }

    /** Mean of one function's scores, for logging as {@code rewards/NAME/mean}. */
    public double mean(String name) {
        double[] s = scores(name);
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        return s.length == 0 ? Double.NaN : sum / s.length;
    }

    /** Unbiased standard deviation of one function's scores, as TRL logs {@code rewards/NAME/std}. */
    public double std(String name) {
        double[] s = scores(name);
        if (s.length < 2) {
            return Double.NaN;
        }
        double mean = mean(name);
        double sq = 0;
        for (double v : s) {
            sq += (v - mean) * (v - mean);
        }
        return Math.sqrt(sq / (s.length - 1));
    }

    private double[] scores(String name) {
        double[] s = perFunction.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no reward function '" + name + "'; present: " + perFunction.keySet());
        }
        return s;
    }
}
