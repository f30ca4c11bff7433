package dev.osprey.train.loop;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a training run reports as it goes, the one path of its progress (the platform's bridge is
 * {@link JobProgress}); every method has a no-op default. Called on the training thread.
 */
public interface TrainingListener {

    /** A line for the user (data statistics, what is trained, where results went). */
    default void message(String text) {}

    /**
     * After every optimizer step, and its evaluation when it had one ({@link StepLog#eval()}).
     *
     * @param elapsedSeconds since this process started training (a resumed run counts from its resume)
     * @param tokensPerSecond trained tokens per second so far in this process
     */
    default void step(StepLog log, double elapsedSeconds, double tokensPerSecond) {}

    /**
     * Whether evaluation steps also score the step's checkpoint ({@link #evaluateCheckpoint}); the Trainer then
     * writes a checkpoint at each of them.
     */
    default boolean evaluatesCheckpoints() {
        return false;
    }

    /**
     * Scores of the checkpoint written at evaluation step {@code step} (benchmarks run on it), named {@code
     * eval_...}; logged with the step's evaluation.
     */
    default Map<String, Double> evaluateCheckpoint(long step, Path checkpoint) throws Exception {
        return Map.of();
    }

    /** Whether an evaluation metric is one of {@link #evaluateCheckpoint}'s scores (plotted on their own axis). */
    default boolean isBenchmarkScore(String metric) {
        return false;
    }

    /** Checked after every step: true stops the run there, after a checkpoint of that step. */
    default boolean cancelled() {
        return false;
    }
}
