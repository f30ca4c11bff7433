package dev.osprey.devtools.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples this process's memory every 50 ms while a benchmark runs and keeps the peaks of what the peak
 * resident size (VmHWM) lumps together: native memory outside the Java heap (anonymous resident memory
 * minus the committed heap, i.e. tensors and libraries' allocations) and the committed Java heap.
 */
final class MemorySampler implements AutoCloseable {

    private final AtomicLong peakNativeKb = new AtomicLong();
    private final AtomicLong peakHeapKb = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    MemorySampler() {
        thread = new Thread(
                () -> {
                    while (running) {
                        sample();
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "osprey-memory-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void sample() {
        long heapKb = Runtime.getRuntime().totalMemory() / 1024;
        peakHeapKb.accumulateAndGet(heapKb, Math::max);
        long anonKb = anonymousKb();
        if (anonKb >= 0) {
            peakNativeKb.accumulateAndGet(anonKb - heapKb, Math::max);
        }
    }

    /** RssAnon from /proc/self/status, or -1 where it is missing. */
    private static long anonymousKb() {
        return statusKb("RssAnon:");
    }

    /** A field of /proc/self/status in KiB ({@code VmRSS:}, {@code VmHWM:}, ...), or -1 where /proc is missing. */
    static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    /** The peak native (outside the Java heap) resident memory so far, MiB. */
    long peakNativeMib() {
        sample();
        return peakNativeKb.get() / 1024;
    }

    /** The peak committed Java heap so far, MiB. */
    long peakHeapMib() {
        return peakHeapKb.get() / 1024;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
