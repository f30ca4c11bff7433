package dev.osprey.model.nn;

import java.util.function.Supplier;

/**
 * Whether the forward pass running on this thread trains (dropout on) or not. A decoder sets it for the
 * length of one pass from {@code ForwardRequest.training()}, so layers deep inside need no extra argument.
 */
public final class TrainingMode {

    private static final ThreadLocal<Boolean> TRAINING = ThreadLocal.withInitial(() -> false);

    private TrainingMode() {
    }

    /** True inside a training forward pass on this thread. */
    public static boolean isTraining() {
        return TRAINING.get();
    }

    /** Runs {@code pass} with the mode set, restoring the previous one afterwards. */
    public static <T> T during(boolean training, Supplier<T> pass) {
        boolean previous = TRAINING.get();
        TRAINING.set(training);
        try {
            return pass.get();
        } finally {
            TRAINING.set(previous);
        }
    }
}
