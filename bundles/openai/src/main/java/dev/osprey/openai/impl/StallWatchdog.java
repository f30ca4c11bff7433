package dev.osprey.openai.impl;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ends blocking reads that make no progress: a request thread that has read nothing for the timeout is
 * interrupted, which makes the servlet container's blocking read throw. Without it a client that stops
 * sending its body holds a request thread until the container's own idle timeout.
 */
final class StallWatchdog implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "osprey-openai-read-watchdog");
        t.setDaemon(true);
        return t;
    });

    /** One watched read: call {@link #progress()} after each chunk and close it when the read is over. */
    final class Watch implements AutoCloseable {
        private final Thread reader = Thread.currentThread();
        private final ScheduledFuture<?> check;
        private long progress;
        private long seen;
        private boolean over;
        private boolean stalled;

        private Watch(long timeoutMillis) {
            check = timer.scheduleAtFixedRate(this::check, timeoutMillis, timeoutMillis, TimeUnit.MILLISECONDS);
        }

        synchronized void progress() {
            progress++;
        }

        private synchronized void check() {
            if (over) {
                return;
            }
            if (progress == seen) {
                stalled = true;
                over = true;
                reader.interrupt();
            }
            seen = progress;
        }

        /** True when the read was interrupted for making no progress. */
        synchronized boolean stalled() {
            return stalled;
        }

        @Override
        public void close() {
            check.cancel(false);
            synchronized (this) {
                over = true;
                if (stalled) {
                    Thread.interrupted(); // the container's thread goes back to its pool clean
                }
            }
        }
    }

    /** Watches a read by the calling thread that may not stall for {@code timeoutMillis}. */
    Watch watch(long timeoutMillis) {
        return new Watch(timeoutMillis);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
