package dev.osprey.cli.impl;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.osprey.api.jobs.Job;
import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobFailure;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.jobs.JobState;

/**
 * A training command's job, run by the job service of this process (as {@code osprey serve} runs those of
 * HTTP clients) and followed with the progress bar until it ends.
 */
final class LocalJob {

    private LocalJob() {}

    /**
     * Submits, follows and returns the exit code: 0 done; a failure is thrown as the exception the command
     * line turns into one clear line (an {@link IllegalArgumentException}, exit 2, when the input was at fault).
     */
    static int run(Platform platform, PrintWriter out, JobRequest request, int loggingSteps)
            throws InterruptedException {
        Job job = platform.requireJobs().submit(request);
        TrainingProgress progress = new TrainingProgress(out, System.console() != null, loggingSteps);
        long next = 0;
        while (true) {
            List<JobEvent> events = job.nextEvents(next, Duration.ofSeconds(1));
            events.forEach(progress::accept);
            if (!events.isEmpty()) {
                next = events.get(events.size() - 1).sequence() + 1;
            } else if (job.state().isFinal()) {
                break;
            }
        }
        return exitCode(job.id(), job.state(), job.failure());
    }

    /** 0 for a finished job; else its failure as the exception the command line turns into one line and exit 2 or 1. */
    static int exitCode(String id, JobState end, Optional<JobFailure> failure) {
        if (end == JobState.DONE) {
            return 0;
        }
        JobFailure why = failure.orElse(
                new JobFailure("job " + id + " ended " + end.name().toLowerCase(Locale.ROOT), false));
        if (why.badInput()) {
            throw new IllegalArgumentException(why.message());
        }
        throw new IllegalStateException(why.message());
    }
}
