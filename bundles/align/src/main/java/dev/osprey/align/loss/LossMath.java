package dev.osprey.align.loss;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** Small numeric pieces the losses share: a stable log-sigmoid, reading scalars, checking shapes. */
final class LossMath {

    private LossMath() {}

    /** log(sigmoid(x)) = -softplus(-x), stable for large |x| (torch.nn.functional.logsigmoid). */
    static NDArray logSigmoid(NDArray x) {
        return Activation.softPlus(x.neg()).neg();
    }

    /** The value of a scalar (or the mean of an array) as a double, off the autograd graph. */
    static double mean(NDArray x) {
        try (NDArray m = x.stopGradient().toType(DataType.FLOAT64, false).mean()) {
            return m.getDouble();
        }
    }

    /** The fraction of true entries of a boolean array. */
    static double fraction(NDArray condition) {
        return mean(condition.toType(DataType.FLOAT64, false));
    }

    /** Fails unless every array is one-dimensional with the first array's length. */
    static void requireSameVector(String what, NDArray... arrays) {
        Shape first = arrays[0].getShape();
        for (NDArray a : arrays) {
            if (a.getShape().dimension() != 1 || !a.getShape().equals(first)) {
                throw new IllegalArgumentException(
                        what + ": expected vectors of one shape " + first + ", got " + a.getShape());
            }
        }
    }

    /** The six metrics TRL's preference trainers log: rewards (chosen, rejected, accuracies, margins) and logps. */
    static Map<String, Double> preferenceMetrics(
            NDArray chosenRewards, NDArray rejectedRewards, NDArray chosenLogps, NDArray rejectedLogps) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", mean(chosenRewards));
        metrics.put("rewards/rejected", mean(rejectedRewards));
        metrics.put("rewards/accuracies", fraction(chosenRewards.gt(rejectedRewards)));
        metrics.put("rewards/margins", mean(chosenRewards.sub(rejectedRewards)));
        metrics.put("logps/chosen", mean(chosenLogps));
        metrics.put("logps/rejected", mean(rejectedLogps));
        return metrics;
    }
}
