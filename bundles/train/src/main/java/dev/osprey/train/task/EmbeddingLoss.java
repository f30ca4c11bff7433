package dev.osprey.train.task;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * ms-swift's embedding losses ({@code swift/plugin/loss.py}) on L2-normalised embeddings.
 * <ul>
 * <li>{@code infonce}: each anchor against every positive and hard negative of the batch (in-batch negatives),
 * similarities divided by {@code INFONCE_TEMPERATURE} (ms-swift's default 0.01), cross-entropy towards its own
 * positive;</li>
 * <li>{@code cosine_similarity}: the mean squared error between the cosine of anchor and positive and the row's
 * {@code label}.</li>
 * </ul>
 */
public final class EmbeddingLoss {

    /** ms-swift's {@code INFONCE_TEMPERATURE} default. */
    public static final double DEFAULT_TEMPERATURE = 0.01;

    private EmbeddingLoss() {}

    /**
     * @param anchors (B, H)
     * @param others every positive and negative of the batch (S, H)
     * @param positives the index in {@code others} of each anchor's positive (B)
     */
    public static ClassificationLoss.Result infonce(
            NDArray anchors, NDArray others, NDArray positives, double temperature) {
        NDArray similarity = Scalars.div(anchors.matMul(others.transpose()), temperature); // (B, S)
        return ClassificationLoss.compute(similarity, positives, ClassificationLoss.SINGLE_LABEL);
    }

    /**
     * @param anchors (B, H)
     * @param positives (B, H)
     * @param labels the target cosines (B)
     */
    public static ClassificationLoss.Result cosineSimilarity(NDArray anchors, NDArray positives, NDArray labels) {
        NDArray cosine = anchors.mul(positives).sum(new int[] {-1}); // (B): normalised, so the dot is the cosine
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("cosine/mean", (double) cosine.mean().getFloat());
        return new ClassificationLoss.Result(
                cosine.sub(labels.toType(DataType.FLOAT32, false)).square().mean(), metrics);
    }

    /** {@code INFONCE_TEMPERATURE} from the environment, as ms-swift reads it, else 0.01. */
    public static double temperature() {
        String value = System.getenv("INFONCE_TEMPERATURE");
        if (value == null || value.isBlank()) {
            return DEFAULT_TEMPERATURE;
        }
        try {
            double t = Double.parseDouble(value.strip());
            if (t > 0) {
                return t;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException("INFONCE_TEMPERATURE must be a positive number, was '" + value + "'");
    }
}
