package dev.osprey.train.loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import ai.djl.ndarray.NDManager;

/** One optimizer step's forward and backward passes, as an {@link Objective} prepared them. */
public interface StepWork {

    /** How many micro-batches the step runs. */
    int microBatches();

    /**
     * Forward and backward pass of micro-batch {@code index}, adding to the gradients (the loss already
     * divided as accumulation needs). Its arrays belong to {@code manager}, freed after the call.
     *
     * @return at least {@code loss}, plus the objective's metrics
     */
    Map<String, Double> run(int index, NDManager manager);

    /** The step's metrics from its micro-batches': the mean of each. */
    default Map<String, Double> combine(List<Map<String, Double>> micro) {
        Map<String, Double> sum = new LinkedHashMap<>();
        micro.forEach(m -> m.forEach((k, v) -> sum.merge(k, v, Double::sum)));
        sum.replaceAll((k, v) -> v / micro.size());
        return sum;
    }

    /** Every token the step ran through the trained model. */
    long tokens();

    /**
     * A step whose items run in micro-batches of {@code size}, in order.
     *
     * @param tokens every token the items run through the trained model
     * @param micro the forward and backward pass of one micro-batch, on a manager freed after it
     */
    static <T> StepWork inBatches(
            List<T> items, int size, long tokens, BiFunction<List<T>, NDManager, Map<String, Double>> micro) {
        return new StepWork() {
            @Override
            public int microBatches() {
                return (items.size() + size - 1) / size;
            }

            @Override
            public Map<String, Double> run(int index, NDManager manager) {
                return micro.apply(items.subList(index * size, Math.min(items.size(), (index + 1) * size)), manager);
            }

            @Override
            public long tokens() {
                return tokens;
            }
        };
    }

    /** Fields logged after the loss's metrics once the step is done (GRPO's rewards and timings); none by default. */
    default Map<String, Object> extras() {
        return Map.of();
    }
}
