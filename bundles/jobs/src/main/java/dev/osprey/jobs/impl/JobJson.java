package dev.osprey.jobs.impl;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.jobs.JobFailure;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobState;
import dev.osprey.api.plugin.ExtensionKind;

/**
 * The one JSON form of jobs (their events have theirs in {@link dev.osprey.api.jobs.JobEvent#toMap()}), for
 * the records on disk and for {@code /api/jobs} alike, so what a client reads is what a restarted server
 * reads back. Names are snake case, as ms-swift's.
 */
final class JobJson {

    static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /**
     * Arguments that are credentials ({@code push_to_hub}'s token): never written to {@code job.json} nor shown by
     * {@code /api/jobs}. A job read back after a restart has none, so a push resumed then takes the token from the
     * environment or a new {@code --hub_token}.
     */
    static final Set<String> SECRET_ARGUMENTS = Set.of("hub_token");

    private JobJson() {}

    /** A job's record: what it runs, where, and how it ended. */
    static Map<String, Object> job(JobRecord job) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", job.id());
        map.put("kind", job.request().kind().label());
        map.put("method", job.request().name());
        map.put("device", job.request().device().toString());
        map.put("state", job.state().name().toLowerCase(Locale.ROOT));
        map.put("submitted", job.submitted().toString());
        map.put("output_dir", job.outputDir().toString());
        job.failure().ifPresent(f -> map.put("failure", Map.of("message", f.message(), "bad_input", f.badInput())));
        job.result().ifPresent(r -> map.put("result", r));
        job.lastCheckpoint().ifPresent(c -> map.put("last_checkpoint", c.toString()));
        map.put("events", job.eventCount());
        Map<String, Object> arguments = new LinkedHashMap<>();
        Arguments args = job.request().arguments();
        for (String name : args.names()) {
            if (SECRET_ARGUMENTS.contains(name)) {
                continue; // a credential lives only in the running job's memory
            }
            List<String> values = args.getList(name);
            arguments.put(name, values.size() == 1 ? values.get(0) : values);
        }
        map.put("arguments", arguments);
        return map;
    }

    /** Reads back what {@link #job} wrote. */
    /** The extension kind a job's {@code kind} field names ({@code training-method}, {@code exporter}, {@code evaluator}). */
    static Optional<ExtensionKind> kindLabelled(String label) {
        return Arrays.stream(ExtensionKind.values())
                .filter(k -> k.label().equals(label))
                .findFirst();
    }

    @SuppressWarnings("unchecked")
    static JobRecord.Saved readJob(Map<String, Object> map) {
        String kindLabel = (String) map.get("kind");
        ExtensionKind kind = kindLabelled(kindLabel)
                .orElseThrow(() -> new IllegalArgumentException("unknown job kind '" + kindLabel + "'"));
        JobRequest request = new JobRequest(
                kind,
                (String) map.get("method"),
                Arguments.of((Map<String, ?>) map.get("arguments")),
                DeviceId.parse((String) map.get("device")));
        Map<String, Object> failure = (Map<String, Object>) map.get("failure");
        return new JobRecord.Saved(
                (String) map.get("id"),
                request,
                JobState.valueOf(((String) map.get("state")).toUpperCase(Locale.ROOT)),
                Instant.parse((String) map.get("submitted")),
                Path.of((String) map.get("output_dir")),
                failure == null
                        ? null
                        : new JobFailure(
                                (String) failure.get("message"), Boolean.TRUE.equals(failure.get("bad_input"))),
                (String) map.get("result"));
    }
}
