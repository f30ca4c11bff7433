package dev.osprey.export.impl;

import java.util.Map;

import dev.osprey.api.job.ProgressReporter;
import dev.osprey.hub.DownloadProgress;

/**
 * A push's file-by-file transfer events as one job phase, {@code upload}, whose steps are bytes: the job's events
 * carry the ETA, and the command line draws them as a bar with MB/s. Bytes the hub already had count as done at once
 * (not as speed). Steps are reported at most every 200 ms, and when a file ends.
 */
final class UploadProgress implements DownloadProgress {

    static final String PHASE = "upload";
    private static final long INTERVAL_NANOS = 200_000_000L;

    private final ProgressReporter reporter;
    private final long total;
    private final long startNanos = System.nanoTime();
    private long done;
    private long skipped;
    private long lastNanos;

    UploadProgress(ProgressReporter reporter, long totalBytes) {
        this.reporter = reporter;
        this.total = totalBytes;
        reporter.begin(PHASE, totalBytes);
    }

    @Override
    public synchronized void started(String name, long totalBytes) {}

    @Override
    public synchronized void resumed(long bytesAlreadyThere) {
        done += bytesAlreadyThere;
        skipped += bytesAlreadyThere;
    }

    @Override
    public synchronized void advanced(long bytes) {
        done += bytes;
        long now = System.nanoTime();
        if (now - lastNanos >= INTERVAL_NANOS) {
            lastNanos = now;
            report(now);
        }
    }

    @Override
    public synchronized void finished(String name) {
        report(System.nanoTime());
    }

    private void report(long now) {
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds <= 0 ? 0 : (done - skipped) / seconds;
        reporter.step(Math.min(done, total), Map.of("MB_per_s", rate / 1e6));
    }
}
