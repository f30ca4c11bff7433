package dev.osprey.api.job;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a job reports progress: the platform turns it into a terminal progress bar with ETA, lines of
 * {@code logging.jsonl}, live curves in the web UI and plots. Thread-safe; cheap enough to call every step.
 */
@ProviderType
public interface ProgressReporter {

    /** A new phase of known length begins (e.g. {@code train} over 1000 steps; -1 when unknown). */
    void begin(String phase, long totalSteps);

    /** {@code step} of the current phase is done, with its metrics (loss, learning_rate, grad_norm, ...). */
    void step(long step, Map<String, Double> metrics);

    /** A line for the user, shown above the progress bar and kept in the log. */
    void message(String text);
}
