package dev.osprey.api.jobs;

import java.time.Instant;
import java.util.Map;

/**
 * One thing that happened in a job. Events are numbered from 0 in the order they happened, so a listener
 * that saw events up to {@code n} resumes from {@code n + 1} and misses nothing.
 *
 * @param sequence the event's number within its job
 * @param time when it happened
 * @param type what kind of event it is
 * @param state the job's state after a {@link Type#STATE} event, else null
 * @param phase the phase a {@link Type#BEGIN} or {@link Type#STEP} belongs to ({@code train}), else null
 * @param step the step just done ({@link Type#STEP}), else 0
 * @param totalSteps the phase's length ({@link Type#BEGIN}, {@link Type#STEP}); -1 when unknown
 * @param metrics {@code loss}, {@code learning_rate}, {@code grad_norm}, eval metrics ... of a step; empty otherwise
 * @param etaSeconds the estimated seconds left in the phase after a step, or -1
 * @param text a log line ({@link Type#LOG}) or the reason of a state change (a failure); may be null
 */
public record JobEvent(long sequence, Instant time, Type type, JobState state, String phase, long step, long totalSteps,
        Map<String, Double> metrics, double etaSeconds, String text) {

    /** The kinds of event. */
    public enum Type {
        /** The job changed state. */
        STATE,
        /** A phase of known length began. */
        BEGIN,
        /** A step was done. */
        STEP,
        /** A line for the user. */
        LOG
    }

    public JobEvent {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
}
