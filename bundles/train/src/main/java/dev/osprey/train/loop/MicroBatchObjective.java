package dev.osprey.train.loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.LanguageModel;

/**
 * An objective whose step is its items cut into micro-batches of {@code --per_device_train_batch_size}
 * (the preference methods, KTO, the reward model), and whose evaluation is the mean of its metrics over
 * the held-out items' batches, run without gradients.
 *
 * @param <T> one training item
 */
public abstract class MicroBatchObjective<T> implements Objective<T> {

    private final LanguageModel trained;

    /** @param trained the model trained (its arrays' manager parents the evaluation's) */
    protected MicroBatchObjective(LanguageModel trained) {
        this.trained = trained;
    }

    /**
     * The loss of one micro-batch: when {@code gradients} is open, the policy's passes run inside it and the
     * backward pass of the loss divided by {@code accumulation} follows ({@link #backward}); null evaluates.
     *
     * @return at least {@code loss}, plus the objective's metrics
     */
    protected abstract Map<String, Double> microStep(
            NDManager manager, List<T> batch, int accumulation, Gradients gradients);

    /** Every token one item runs through the trained model. */
    protected abstract long tokens(T item);

    @Override
    public StepWork prepare(long step, List<T> items, TrainerOptions options) {
        return StepWork.inBatches(
                items,
                options.batchSize(),
                items.stream().mapToLong(this::tokens).sum(),
                (batch, manager) -> microStep(manager, batch, options.gradientAccumulation(), Gradients.TRAINING));
    }

    @Override
    public Map<String, Double> evaluate(List<T> items, int batchSize) {
        NDManager parent = trained.parameters().values().iterator().next().getManager();
        Map<String, Double> sum = new LinkedHashMap<>();
        int batches = 0;
        for (int from = 0; from < items.size(); from += batchSize) {
            try (NDScope scope = new NDScope();
                    NDManager m = parent.newSubManager()) {
                scope.suppressNotUsedWarning();
                microStep(m, items.subList(from, Math.min(items.size(), from + batchSize)), 1, Gradients.EVALUATING)
                        .forEach((k, v) -> sum.merge(k, v, Double::sum));
                batches++;
            }
        }
        int n = batches;
        sum.replaceAll((k, v) -> v / n);
        return sum;
    }

    /** Whether a micro-step records gradients (training) or not (evaluation). */
    public enum Gradients {
        TRAINING,
        EVALUATING;

        /** A collector while training, null when evaluating (try-with-resources skips a null). */
        public GradientCollector open() {
            return this == TRAINING ? Engine.getEngine("PyTorch").newGradientCollector() : null;
        }

        /** Whether the model runs in training mode (dropout on). */
        public boolean training() {
            return this == TRAINING;
        }

        /** The backward pass of {@code loss / accumulation}, when training. */
        public void backward(GradientCollector collector, NDArray loss, int accumulation) {
            if (collector != null) {
                collector.backward(Scalars.div(loss, accumulation));
            }
        }
    }
}
