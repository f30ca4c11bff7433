package dev.osprey.train.loop;

import java.util.List;
import java.util.Map;

/**
 * What one training method optimizes: the loss (and its metrics) of its micro-batches. The {@link Trainer}
 * owns everything else — the data order, accumulation, clipping, the schedule, evaluation, checkpoints and
 * logs — so every method gets them alike.
 *
 * @param <T> one training item: an example, a preference pair, a prompt
 */
public interface Objective<T> {

    /** How many items one optimizer step takes from the seeded order. */
    default int itemsPerStep(TrainerOptions options) {
        return options.batchSize() * options.gradientAccumulation();
    }

    /**
     * The work of step {@code step} (0-based) on its items. Anything a step does before its gradients (GRPO
     * samples and scores its completions here) happens in this call; it must depend only on the items, the
     * step and the weights, so that a resumed run repeats it.
     */
    StepWork prepare(long step, List<T> items, TrainerOptions options);

    /**
     * Metrics on held-out items, without gradients and with dropout off, named as in training ({@code loss},
     * {@code rewards/accuracies}, ...); the Trainer logs them with an {@code eval_} prefix. Empty when the
     * method has nothing to evaluate.
     */
    Map<String, Double> evaluate(List<T> items, int batchSize);
}
