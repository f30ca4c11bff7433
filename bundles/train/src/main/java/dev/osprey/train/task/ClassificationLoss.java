package dev.osprey.train.task;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * The loss of a sequence classifier by transformers' {@code problem_type}, as
 * {@code *ForSequenceClassification.forward} computes it: cross-entropy over the classes
 * ({@code single_label_classification}), binary cross-entropy with logits per label
 * ({@code multi_label_classification}), or the mean squared error ({@code regression}).
 */
public final class ClassificationLoss {

    public static final String SINGLE_LABEL = "single_label_classification";
    public static final String MULTI_LABEL = "multi_label_classification";
    public static final String REGRESSION = "regression";

    private ClassificationLoss() {}

    /**
     * @param logits (B, N)
     * @param labels single label: the class indices (B); otherwise the targets (B, N)
     * @return the mean loss (a scalar) and, for single labels, {@code accuracy}
     */
    public static Result compute(NDArray logits, NDArray labels, String problemType) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        NDArray loss;
        switch (problemType) {
            case SINGLE_LABEL -> {
                NDArray logp = logits.logSoftmax(-1); // (B, N)
                NDArray picked = logp.mul(labels.toType(DataType.INT64, false)
                                .oneHot((int) logits.getShape().get(1))
                                .toType(DataType.FLOAT32, false))
                        .sum(new int[] {-1}); // (B)
                loss = picked.mean().neg();
                metrics.put("acc", (double) logits.argMax(-1)
                        .eq(labels.toType(DataType.INT64, false))
                        .toType(DataType.FLOAT32, false)
                        .mean()
                        .getFloat());
            }
            case MULTI_LABEL -> {
                // BCEWithLogits: max(x, 0) - x * y + log(1 + exp(-|x|))
                NDArray x = logits;
                loss = Scalars.maximum(x, 0)
                        .sub(x.mul(labels))
                        .add(Scalars.add(x.abs().neg().exp(), 1).log())
                        .mean();
            }
            case REGRESSION ->
                loss = logits.sub(labels.reshape(logits.getShape())).square().mean();
            default -> throw new IllegalArgumentException("unknown problem_type '" + problemType + "'");
        }
        return new Result(loss, metrics);
    }

    /** The loss (a scalar with its graph) and metrics of one batch. */
    public record Result(NDArray loss, Map<String, Double> metrics) {}
}
