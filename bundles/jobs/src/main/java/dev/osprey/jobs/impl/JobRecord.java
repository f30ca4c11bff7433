package dev.osprey.jobs.impl;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import dev.osprey.api.jobs.Job;
import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobFailure;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobState;

/**
 * One job: its state and events in memory, written through to the jobs folder on every change. The job's
 * monitor guards everything and wakes followers waiting in {@link #nextEvents}.
 */
final class JobRecord implements Job {

    /** A job as read back from its record. */
    record Saved(
            String id,
            JobRequest request,
            JobState state,
            Instant submitted,
            Path outputDir,
            JobFailure failure,
            String result) {}

    private final String id;
    private final JobRequest request;
    private final Instant submitted;
    private final Path outputDir;
    private final JobStore store;
    /** Null until read from the job's event log, for a job of an earlier run; see {@link #events()}. */
    private List<JobEvent> events = new ArrayList<>();

    private BufferedWriter eventLog;
    private JobState state;
    private JobFailure failure;
    private String result;
    private boolean cancelRequested;
    /** Set when the service stops under a running job: it then ends INTERRUPTED, not CANCELLED. */
    private boolean shuttingDown;

    JobRecord(String id, JobRequest request, Instant submitted, Path outputDir, JobStore store) {
        this.id = id;
        this.request = request;
        this.submitted = submitted;
        this.outputDir = outputDir;
        this.store = store;
        this.state = JobState.QUEUED;
    }

    /** A job of an earlier run of the service; one that had not ended then is INTERRUPTED now. */
    static JobRecord restored(Saved saved, JobStore store) {
        JobRecord job = new JobRecord(saved.id(), saved.request(), saved.submitted(), saved.outputDir(), store);
        job.events = null;
        job.state = saved.state();
        job.failure = saved.failure();
        job.result = saved.result();
        if (!saved.state().isFinal()) {
            job.changeState(
                    JobState.INTERRUPTED,
                    new JobFailure(
                            "the process stopped while the job was "
                                    + saved.state().name().toLowerCase()
                                    + job.lastCheckpoint()
                                            .map(c -> "; resume it with --resume_from_checkpoint " + c)
                                            .orElse(""),
                            false),
                    null);
        }
        return job;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public JobRequest request() {
        return request;
    }

    @Override
    public synchronized JobState state() {
        return state;
    }

    @Override
    public Instant submitted() {
        return submitted;
    }

    @Override
    public Path outputDir() {
        return outputDir;
    }

    @Override
    public synchronized Optional<JobFailure> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public synchronized Optional<String> result() {
        return Optional.ofNullable(result);
    }

    @Override
    public Optional<Path> lastCheckpoint() {
        if (!Files.isDirectory(outputDir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(outputDir)) {
            return files.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+") && Files.isDirectory(p))
                    .max(Comparator.comparingLong(
                            p -> Long.parseLong(p.getFileName().toString().substring("checkpoint-".length()))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    synchronized int eventCount() {
        return events().size();
    }

    /** The events so far; those of a job of an earlier run are read from its log on first use. */
    private synchronized List<JobEvent> events() {
        if (events == null) {
            try {
                events = new ArrayList<>(store.readEvents(id));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the events of job " + id + " under " + store.folder(), e);
            }
        }
        return events;
    }

    @Override
    public synchronized List<JobEvent> events(long from) {
        List<JobEvent> all = events();
        return List.copyOf(all.subList((int) Math.min(Math.max(from, 0), all.size()), all.size()));
    }

    @Override
    public synchronized List<JobEvent> nextEvents(long from, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (from >= events().size() && !state.isFinal()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return List.of();
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return events(from);
    }

    @Override
    public void cancel() {
        synchronized (this) {
            if (state == JobState.QUEUED) {
                changeState(JobState.CANCELLED, null, null);
                return;
            }
            if (state != JobState.RUNNING) {
                return;
            }
            cancelRequested = true;
            changeState(JobState.CANCELLING, null, null);
        }
    }

    /** Stops a running job because the service stops: it checkpoints and ends INTERRUPTED. */
    synchronized void interrupt() {
        shuttingDown = true;
        if (state == JobState.QUEUED) {
            changeState(JobState.INTERRUPTED, new JobFailure("the server stopped before the job ran", false), null);
        } else {
            cancel();
        }
    }

    synchronized boolean isCancelRequested() {
        return cancelRequested;
    }

    synchronized boolean isShuttingDown() {
        return shuttingDown;
    }

    @Override
    public synchronized JobState await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!state.isFinal()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return state;
    }

    /** Moves to {@code next}, records a STATE event, and saves the record. False when the job was already final. */
    synchronized boolean changeState(JobState next, JobFailure why, String produced) {
        if (state.isFinal()) {
            return false;
        }
        state = next;
        failure = why;
        if (produced != null) {
            result = produced;
        }
        add(JobEvent.Type.STATE, next, null, 0, -1, Map.of(), -1, why == null ? null : why.message());
        save();
        return true;
    }

    synchronized void add(
            JobEvent.Type type,
            JobState newState,
            String phase,
            long step,
            long totalSteps,
            Map<String, Double> metrics,
            double etaSeconds,
            String text) {
        List<JobEvent> all = events();
        JobEvent event = new JobEvent(
                all.size(), Instant.now(), type, newState, phase, step, totalSteps, metrics, etaSeconds, text);
        all.add(event);
        try {
            if (eventLog == null) {
                eventLog = store.openEvents(id);
            }
            JobStore.append(eventLog, event);
            if (newState != null && newState.isFinal()) {
                eventLog.close();
                eventLog = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the events of job " + id + " under " + store.folder(), e);
        }
        notifyAll();
    }

    synchronized void save() {
        try {
            store.writeRecord(this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save job " + id + " under " + store.folder(), e);
        }
    }
}
