package dev.osprey.train.sft;

/** What a training job reports as it goes; every method has a no-op default. Called on the training thread. */
public interface TrainingListener {

    /** A line for the user (data statistics, what is trained, where results went). */
    default void message(String text) {
    }

    /**
     * After every optimizer step.
     *
     * @param elapsedSeconds since this process started training (a resumed run counts from its resume)
     * @param tokensPerSecond trained tokens per second so far in this process
     */
    default void step(SftTrainer.StepLog log, double elapsedSeconds, double tokensPerSecond) {
    }

    /** After each evaluation on the validation set. */
    default void evaluated(long step, double evalLoss) {
    }

    /** Checked after every step: true stops the run there, after a checkpoint of that step. */
    default boolean cancelled() {
        return false;
    }
}
