package dev.osprey.models.impl;

import java.util.Map;

import dev.osprey.api.job.ProgressReporter;
import dev.osprey.hub.DownloadProgress;

/** A hub download told as progress: a phase {@code download FILE} of its bytes, a step per piece received. */
final class DownloadReporter implements DownloadProgress {

    private final ProgressReporter progress;
    private long bytes;

    DownloadReporter(ProgressReporter progress) {
        this.progress = progress;
    }

    @Override
    public synchronized void started(String name, long totalBytes) {
        bytes = 0;
        progress.begin("download " + name, totalBytes);
    }

    @Override
    public synchronized void advanced(long more) {
        bytes += more;
        progress.step(bytes, Map.of("bytes", (double) bytes));
    }

    @Override
    public void finished(String name) {
        progress.message("downloaded " + name);
    }
}
