package dev.osprey.jobs.impl;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.osprey.api.jobs.JobEvent;

/**
 * The jobs folder: {@code ID/job.json} (the record, replaced atomically so a crash leaves the old or the
 * new one, never half of either) and {@code ID/events.jsonl} (one event a line, appended as they happen).
 */
final class JobStore {

    static final String RECORD = "job.json";
    static final String EVENTS = "events.jsonl";
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private final Path folder;

    JobStore(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    Path jobFolder(String id) {
        return folder.resolve(id);
    }

    void writeRecord(JobRecord job) throws IOException {
        Path dir = Files.createDirectories(jobFolder(job.id()));
        Path tmp = dir.resolve(RECORD + ".tmp");
        Files.write(tmp, JobJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(JobJson.job(job)));
        try {
            Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Opens the job's event log for appending. */
    BufferedWriter openEvents(String id) throws IOException {
        Path dir = Files.createDirectories(jobFolder(id));
        return Files.newBufferedWriter(
                dir.resolve(EVENTS), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static void append(BufferedWriter out, JobEvent event) throws IOException {
        out.write(JobJson.MAPPER.writeValueAsString(event.toMap()));
        out.write('\n');
        out.flush();
    }

    /**
     * The saved jobs (their events are read when asked for, so that a process with many past jobs starts
     * fast); a folder whose record cannot be read is skipped with the reason on {@code problems}.
     */
    List<JobRecord.Saved> load(List<String> problems) throws IOException {
        List<JobRecord.Saved> jobs = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return jobs;
        }
        try (Stream<Path> dirs = Files.list(folder)) {
            for (Path dir : dirs.filter(d -> Files.isRegularFile(d.resolve(RECORD)))
                    .sorted()
                    .toList()) {
                try {
                    jobs.add(JobJson.readJob(
                            JobJson.MAPPER.readValue(dir.resolve(RECORD).toFile(), MAP)));
                } catch (IOException | RuntimeException e) {
                    problems.add(dir.resolve(RECORD) + ": " + e.getMessage());
                }
            }
        }
        return jobs;
    }

    /** The events of a job; a last line cut short by a crash is dropped. */
    List<JobEvent> readEvents(String id) throws IOException {
        Path file = jobFolder(id).resolve(EVENTS);
        List<JobEvent> events = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return events;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                events.add(JobEvent.fromMap(JobJson.MAPPER.readValue(line, MAP)));
            } catch (IOException | RuntimeException e) {
                break;
            }
        }
        return events;
    }
}
