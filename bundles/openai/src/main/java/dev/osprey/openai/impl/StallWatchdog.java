package dev.osprey.openai.impl;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Ends blocking reads that make no progress: a request thread that has read nothing for the timeout is
 * interrupted, which makes the servlet container's blocking read throw. Without it a client that stops
 * sending its body holds a request thread until the container's own idle timeout.
 */
final class StallWatchdog {

    /** One thread while reads are watched; it ends 10 s after the last, so none outlives a stopped bundle. */
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "osprey-openai-read-watchdog");
        t.setDaemon(true);
        return t;
    });

    StallWatchdog() {
        timer.setKeepAliveTime(10, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        timer.setRemoveOnCancelPolicy(true);
    }

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
}
