package dev.osprey.model.nn;

import ai.djl.pytorch.jni.JniUtils;

/**
 * How many cores PyTorch's own parallelism (OpenMP and MKL inside one operation) uses for the operations a
 * thread runs. The launcher starts every thread at one ({@code OMP_NUM_THREADS=1}): inference splits its
 * products across cores on threads of its own ({@link InferenceThreads}), whose workers must not each
 * start more. A training step runs on one thread (autograd records there), so it takes every core by
 * PyTorch's parallelism instead: {@code -Dosprey.training.threads}, else all available processors.
 *
 * <p>The numbers a step gives depend on this count (how a product's sums are split), not on timing: the
 * same count on the same machine gives bit-identical results, under load too (docs/architecture.md,
 * "Reproducible training").
 */
public final class ComputeThreads implements AutoCloseable {

    private final int previous;

    private ComputeThreads(int threads) {
        previous = JniUtils.getNumThreads();
        use(threads);
    }

    /** The thread count of training steps: {@code -Dosprey.training.threads}, else every available processor. */
    public static int forTraining() {
        return Math.max(
                1,
                Integer.getInteger(
                        "osprey.training.threads", Runtime.getRuntime().availableProcessors()));
    }

    /** Sets the calling thread to {@link #forTraining()} threads until {@link #close()} puts back what it had. */
    public static ComputeThreads training() {
        return new ComputeThreads(forTraining());
    }

    /** Sets the calling thread's count (PyTorch also starts threads it has not seen yet at this count). */
    static void use(int threads) {
        JniUtils.setNumThreads(threads);
    }

    @Override
    public void close() {
        use(previous);
    }
}
