package dev.osprey.api.jobs;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
public record JobEvent(
        long sequence,
        Instant time,
        Type type,
        JobState state,
        String phase,
        long step,
        long totalSteps,
        Map<String, Double> metrics,
        double etaSeconds,
        String text) {

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

    private static final List<String> FIELDS =
            List.of("sequence", "time", "type", "state", "phase", "step", "total_steps", "eta_s", "text");

    public JobEvent {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /**
     * The event's wire form (the lines of {@code events.jsonl}, the {@code data} of {@code /api/jobs/ID/events}):
     * snake-case names, the metrics beside them, fields that do not apply left out.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("sequence", sequence);
        map.put("time", time.toString());
        map.put("type", type.name().toLowerCase(Locale.ROOT));
        if (state != null) {
            map.put("state", state.name().toLowerCase(Locale.ROOT));
        }
        if (phase != null) {
            map.put("phase", phase);
        }
        if (type == Type.STEP) {
            map.put("step", step);
        }
        if (type == Type.STEP || type == Type.BEGIN) {
            map.put("total_steps", totalSteps);
        }
        map.putAll(metrics);
        if (etaSeconds >= 0) {
            map.put("eta_s", etaSeconds);
        }
        if (text != null) {
            map.put("text", text);
        }
        return map;
    }

    /**
     * Reads the wire form back, as JSON parsers give it (numbers of any type).
     *
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static JobEvent fromMap(Map<String, ?> map) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (!FIELDS.contains(k) && v instanceof Number n) {
                metrics.put(k, n.doubleValue());
            }
        });
        try {
            Object state = map.get("state");
            return new JobEvent(
                    ((Number) map.get("sequence")).longValue(),
                    Instant.parse((String) map.get("time")),
                    Type.valueOf(((String) map.get("type")).toUpperCase(Locale.ROOT)),
                    state == null ? null : JobState.valueOf(((String) state).toUpperCase(Locale.ROOT)),
                    (String) map.get("phase"),
                    number(map, "step", 0),
                    number(map, "total_steps", -1),
                    metrics,
                    map.get("eta_s") instanceof Number n ? n.doubleValue() : -1,
                    (String) map.get("text"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a job event (sequence, time and type are required): " + map, e);
        }
    }

    private static long number(Map<String, ?> map, String key, long otherwise) {
        return map.get(key) instanceof Number n ? n.longValue() : otherwise;
    }
}
