package dev.osprey.cli.impl;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobState;

/**
 * The training progress bar, drawn from a job's events: step, percent, loss, learning rate, grad norm,
 * tokens/s, elapsed and ETA. On a terminal the bar is redrawn in place; in logs and pipes a plain line is
 * printed every {@code --logging_steps} steps. Log lines (evaluation losses, messages) get lines of their own.
 */
final class TrainingProgress {

    private static final int WIDTH = 24;
    private static final String UPLOAD_PHASE = "upload";

    private final PrintWriter out;
    private final boolean interactive;
    private final int loggingSteps;
    private boolean barShown;
    private Instant started;

    TrainingProgress(PrintWriter out, boolean interactive, int loggingSteps) {
        this.out = out;
        this.interactive = interactive;
        this.loggingSteps = Math.max(1, loggingSteps);
    }

    void accept(JobEvent event) {
        switch (event.type()) {
            case STATE -> {
                if (event.state() == JobState.RUNNING) {
                    started = event.time();
                }
            }
            case LOG -> message(event.text());
            case STEP -> step(event);
            default -> {}
        }
    }

    private void message(String text) {
        endBar();
        out.println(text);
        out.flush();
    }

    private void step(JobEvent event) {
        boolean last = event.step() == event.totalSteps();
        double elapsed =
                started == null ? 0 : Duration.between(started, event.time()).toMillis() / 1000.0;
        if (interactive) {
            out.print("\r" + render(event, elapsed));
            barShown = true;
            if (last) {
                endBar();
            }
        } else if (event.step() % loggingSteps == 0 || last) {
            out.println(render(event, elapsed));
        }
        out.flush();
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }

    /** One line of the bar, free of I/O; the ETA is the job's, or the mean rate's until the job has one. */
    static String render(JobEvent event, double elapsedSeconds) {
        long step = event.step();
        long total = event.totalSteps();
        Map<String, Double> m = event.metrics();
        double fraction = total > 0 ? step / (double) total : 0;
        int filled = (int) Math.round(fraction * WIDTH);
        String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
        double eta = event.etaSeconds() >= 0
                ? event.etaSeconds()
                : step == 0 || total < 0 ? 0 : elapsedSeconds / step * (total - step);
        // an upload's steps are bytes (the push_to_hub exporter's phase)
        StringBuilder line = UPLOAD_PHASE.equals(event.phase())
                ? new StringBuilder(String.format(
                        "upload %s/%s [%s] %3.0f%%", megabytes(step), megabytes(total), bar, fraction * 100))
                : new StringBuilder(String.format("step %d/%d [%s] %3.0f%%", step, total, bar, fraction * 100));
        // only what the job reports: an evaluation's steps have a loss but no learning rate or gradient
        appendMetric(line, m, "loss", "  loss %.4f");
        appendMetric(line, m, "learning_rate", "  lr %.2e");
        appendMetric(line, m, "grad_norm", "  grad_norm %.3f");
        appendMetric(line, m, "tokens_per_s", "  %,.0f tokens/s");
        appendMetric(line, m, "MB_per_s", "  %.1f MB/s");
        return line.append(String.format("  %s<%s", clock(elapsedSeconds), clock(eta)))
                .toString();
    }

    private static void appendMetric(StringBuilder line, Map<String, Double> metrics, String name, String format) {
        Double value = metrics.get(name);
        if (value != null) {
            line.append(String.format(format, value));
        }
    }

    private static String megabytes(long bytes) {
        return String.format("%.1f MB", bytes / 1e6);
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%02d:%02d", s / 60, s % 60);
    }
}
