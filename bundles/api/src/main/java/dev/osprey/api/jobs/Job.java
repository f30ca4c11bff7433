package dev.osprey.api.jobs;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** One job of the {@link JobService}: a live view, valid for as long as the service runs. Thread-safe. */
@ProviderType
public interface Job {

    /** Unique, also the name of the job's record folder. */
    String id();

    JobRequest request();

    JobState state();

    Instant submitted();

    /** Where the job writes its checkpoints, logs and results. */
    Path outputDir();

    /** Why the job failed or was interrupted. */
    Optional<JobFailure> failure();

    /** What the job produced: a training's final checkpoint or merged model, an exporter's file, an evaluation report. */
    Optional<String> result();

    /** The newest {@code checkpoint-N} folder under {@link #outputDir()}, to resume from with {@code --resume_from_checkpoint}. */
    Optional<Path> lastCheckpoint();

    /** The events from sequence number {@code from} on, as far as they happened. */
    List<JobEvent> events(long from);

    /**
     * The events from {@code from} on; when there are none yet, waits up to {@code timeout} for the next. Empty
     * when the time passed, or when the job is final and {@code from} is past its last event. A follower
     * calls it in a loop with the sequence number after the last event it got, so it sees each event once.
     */
    List<JobEvent> nextEvents(long from, Duration timeout) throws InterruptedException;

    /**
     * Asks the job to stop: a queued job is cancelled at once; a running one saves a checkpoint and then
     * stops. Does nothing to a final job.
     */
    void cancel();

    /** Waits until the job is final or {@code timeout} passed, and returns its state then. */
    JobState await(Duration timeout) throws InterruptedException;
}
