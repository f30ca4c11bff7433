package dev.osprey.model.nn;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Runs the large matrix products of inference passes on all cores. Batch-1 decode reads every weight once
 * per token, and a single PyTorch GEMV reads at about half of what two cores read together
 * (docs/benchmarks.md), so {@link Linear} cuts a large weight into blocks of rows and multiplies each
 * block on its own core. PyTorch's own intra-op threads do not split a GEMV here, so each worker runs its
 * block with one ({@link ComputeThreads}).
 *
 * <p>Only passes marked by {@link #during} are split: autograd records on the calling thread only, so a
 * pass that takes gradients must stay on it. The workers spin briefly before parking, since a decode
 * step hands them a block every few tens of microseconds.
 */
public final class InferenceThreads {

    /** Cores to split across: {@code -Dosprey.inference.threads}, else every available processor. */
    static final int WAYS = Math.max(
            1,
            Integer.getInteger("osprey.inference.threads", Runtime.getRuntime().availableProcessors()));

    private static final ThreadFlag ACTIVE = new ThreadFlag();
    private static final long SPIN_NANOS = 200_000;
    private static final ReentrantLock BUSY = new ReentrantLock();
    private static Worker[] workers; // guarded by BUSY

    private InferenceThreads() {}

    /** How many cores an inference product is split across. */
    public static int threads() {
        return WAYS;
    }

    /** Runs {@code pass}, which takes no gradients, with its large matrix products split across cores. */
    public static <T> T during(Supplier<T> pass) {
        return ACTIVE.during(true, pass);
    }

    /** Whether the pass on this thread may be split ({@link #during}, more than one core). */
    static boolean active() {
        return WAYS > 1 && ACTIVE.isOn();
    }

    /**
     * Runs the tasks at once, the first on the calling thread; returns when all are done.
     *
     * @return false, running nothing, when another thread is using the workers (the caller then runs alone)
     */
    static boolean runAll(Runnable[] tasks) {
        if (!BUSY.tryLock()) {
            return false;
        }
        try {
            Worker[] pool = workers();
            AtomicInteger pending = new AtomicInteger(tasks.length - 1);
            RuntimeException[] failure = new RuntimeException[1];
            for (int i = 1; i < tasks.length; i++) {
                pool[i - 1].hand(tasks[i], pending, failure);
            }
            tasks[0].run();
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            if (failure[0] != null) {
                throw failure[0];
            }
            return true;
        } finally {
            BUSY.unlock();
        }
    }

    /**
     * Computes {@code ways} parts at once, part {@code i} by {@code part.apply(i)} on its own thread, and
     * concatenates them along the last axis: a product split into blocks of output rows.
     *
     * @return the concatenation, or null, running nothing, when another thread is using the workers
     */
    static NDArray concatenated(int ways, IntFunction<NDArray> part) {
        NDArray[] parts = new NDArray[ways];
        Runnable[] tasks = new Runnable[ways];
        for (int i = 0; i < ways; i++) {
            int block = i;
            tasks[i] = () -> parts[block] = part.apply(block); // (..., rows of the block)
        }
        if (!runAll(tasks)) {
            return null;
        }
        NDArray y = NDArrays.concat(new NDList(parts), -1); // (..., out)
        for (NDArray p : parts) {
            p.close(); // made on other threads, so outside the caller's NDScope
        }
        return y;
    }

    private static Worker[] workers() {
        Worker[] pool = workers;
        boolean stale = pool == null;
        for (int i = 0; !stale && i < pool.length; i++) {
            stale = !pool[i].isAlive() || pool[i].retired();
        }
        if (stale) { // first use, or the workers retired after a long idle time
            pool = new Worker[WAYS - 1];
            for (int i = 0; i < pool.length; i++) {
                pool[i] = new Worker("osprey-inference-" + (i + 1));
                pool[i].start();
            }
            workers = pool;
        }
        return pool;
    }

    /**
     * A daemon thread that runs one handed task at a time. After {@link #IDLE_EXIT_NANOS} without work it
     * ends, so that no thread outlives a stopped bundle for long; the next split starts new ones.
     */
    private static final class Worker extends Thread {
        private static final long IDLE_EXIT_NANOS = 10_000_000_000L;
        /** Set in place of a task by a worker that has ended: no task can be handed to it any more. */
        private static final Runnable RETIRED = () -> {};

        private final AtomicReference<Runnable> task = new AtomicReference<>();
        private AtomicInteger pending;
        private RuntimeException[] failure;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        boolean retired() {
            return task.get() == RETIRED;
        }

        /** Called under {@link #BUSY} on a worker that is idle and not retired. */
        void hand(Runnable next, AtomicInteger done, RuntimeException[] failed) {
            pending = done;
            failure = failed;
            if (!task.compareAndSet(null, next)) { // retired a moment ago: run it here instead
                try {
                    next.run();
                } catch (RuntimeException e) {
                    failed[0] = e;
                } finally {
                    done.decrementAndGet();
                }
                return;
            }
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            ComputeThreads.use(1); // one core each: the split already spreads the product over the cores
            Runnable next;
            while ((next = awaitTask()) != null) {
                try {
                    next.run();
                } catch (RuntimeException e) {
                    failure[0] = e;
                } finally {
                    task.set(null);
                    pending.decrementAndGet();
                }
            }
        }

        /** The next task, or null once idle for too long (and then retired). */
        private Runnable awaitTask() {
            long start = System.nanoTime();
            Runnable next;
            while ((next = task.get()) == null) {
                long idle = System.nanoTime() - start;
                if (idle < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (idle < IDLE_EXIT_NANOS) {
                    LockSupport.parkNanos(this, 1_000_000_000L);
                } else if (task.compareAndSet(null, RETIRED)) {
                    return null;
                }
            }
            return next;
        }
    }
}
