package dev.osprey.model.nn;

import java.util.function.Supplier;

/**
 * Whether the forward pass running on this thread trains (dropout on) or not. A decoder sets it for the
 * length of one pass from {@code ForwardRequest.training()}, so layers deep inside need no extra argument.
 */
public final class TrainingMode {

    private static final ThreadFlag TRAINING = new ThreadFlag();

    private TrainingMode() {}

    /** True inside a training forward pass on this thread. */
    public static boolean isTraining() {
        return TRAINING.isOn();
    }

    /** Runs {@code pass} with the mode set, restoring the previous one afterwards. */
    public static <T> T during(boolean training, Supplier<T> pass) {
        return TRAINING.during(training, pass);
    }
}
