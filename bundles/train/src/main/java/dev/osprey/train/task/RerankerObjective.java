package dev.osprey.train.task;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.task.Padded;
import dev.osprey.train.loop.MicroBatchObjective;

/**
 * The objective of {@code --task_type reranker} and {@code generative_reranker}, with ms-swift's losses over each
 * row's group (the query with each positive, then with each hard negative): {@code pointwise_reranker}, binary
 * cross-entropy of every pair's score against 1 for a positive and 0 for a negative; {@code listwise_reranker},
 * for each positive, cross-entropy of the softmax over its score and the negatives' (divided by
 * {@code LISTWISE_RERANKER_TEMPERATURE}, default 1) towards the positive.
 */
final class RerankerObjective extends MicroBatchObjective<EncodedGroup> {

    /** The scores (B) of a padded batch of query-document pairs. */
    interface Scorer {
        NDArray scores(NDArray ids, NDArray mask, boolean training);
    }

    private final Scorer scorer;
    private final boolean listwise;
    private final double temperature;
    private final int padId;

    RerankerObjective(LanguageModel trained, Scorer scorer, boolean listwise, double temperature, int padId) {
        super(trained);
        this.scorer = scorer;
        this.listwise = listwise;
        this.temperature = temperature;
        this.padId = padId;
    }

    @Override
    protected long tokens(EncodedGroup group) {
        return group.tokens();
    }

    @Override
    protected Map<String, Double> microStep(
            NDManager m, List<EncodedGroup> batch, int accumulation, Gradients gradients) {
        List<int[]> pairs = new ArrayList<>();
        List<Float> labels = new ArrayList<>();
        for (EncodedGroup g : batch) {
            for (int i = 0; i < g.sequences().size(); i++) {
                pairs.add(g.sequences().get(i));
                labels.add(i < g.positives() ? 1f : 0f);
            }
        }
        Padded rows = Padded.right(m, pairs, padId);
        try (GradientCollector collector = gradients.open()) {
            NDArray scores = scorer.scores(rows.ids(), rows.mask(), gradients.training()); // (P)
            NDArray loss;
            Map<String, Double> metrics = new LinkedHashMap<>();
            if (listwise) {
                NDArray sum = null;
                int at = 0;
                int top = 0;
                int groups = 0;
                for (EncodedGroup g : batch) {
                    int k = g.sequences().size();
                    NDArray negatives = scores.get((at + g.positives()) + ":" + (at + k)); // (K - P)
                    for (int p = 0; p < g.positives(); p++) {
                        // each positive against every hard negative of its row: (1 + K - P) scores, the positive first
                        NDArray group = Scalars.div(
                                NDArrays.concat(new NDList(scores.get((at + p) + ":" + (at + p + 1)), negatives)),
                                temperature);
                        NDArray term = group.logSoftmax(0).get(0).neg(); // -log p(positive)
                        sum = sum == null ? term : sum.add(term);
                        top += group.argMax().getLong() == 0 ? 1 : 0;
                        groups++;
                    }
                    at += k;
                }
                loss = Scalars.div(sum, groups);
                metrics.put("acc", (double) top / groups);
            } else {
                float[] y = new float[labels.size()];
                for (int i = 0; i < y.length; i++) {
                    y[i] = labels.get(i);
                }
                NDArray target = m.create(y, new Shape(y.length));
                loss = ClassificationLoss.compute(
                                scores.reshape(y.length, 1),
                                target.reshape(y.length, 1),
                                ClassificationLoss.MULTI_LABEL)
                        .loss();
            }
            metrics.put("loss", (double) loss.getFloat());
            gradients.backward(collector, loss, accumulation);
            return metrics;
        }
    }

    /** {@code LISTWISE_RERANKER_TEMPERATURE} from the environment, as ms-swift reads it, else 1. */
    static double temperature() {
        String value = System.getenv("LISTWISE_RERANKER_TEMPERATURE");
        if (value == null || value.isBlank()) {
            return 1.0;
        }
        try {
            double t = Double.parseDouble(value.strip());
            if (t > 0) {
                return t;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(
                "LISTWISE_RERANKER_TEMPERATURE must be a positive number, was '" + value + "'");
    }
}
