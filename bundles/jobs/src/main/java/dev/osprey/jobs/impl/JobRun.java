package dev.osprey.jobs.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.osprey.api.Extension;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.jobs.JobEvent;
import dev.osprey.api.jobs.JobFailure;
import dev.osprey.api.jobs.JobState;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.api.train.TrainingMethod;

/**
 * One run of a job on its device's thread: the {@link JobContext} the extension sees, turning its progress
 * into the job's events and the user's cancel into {@link #isCancelled()}.
 */
final class JobRun implements JobContext, ProgressReporter {

    private final JobRecord job;
    private final ExtensionRegistry extensions;
    private final List<ExtensionHandle<?>> taken = new ArrayList<>();
    private String phase;
    private long phaseTotal = -1;
    private long firstStep = -1;
    private long firstStepNanos;

    JobRun(JobRecord job, ExtensionRegistry extensions) {
        this.job = job;
        this.extensions = extensions;
    }

    /** Runs the job to its end state; never throws. */
    void run() {
        if (!job.changeState(JobState.RUNNING, null, null)) {
            return; // cancelled while queued
        }
        JobState end;
        JobFailure failure = null;
        String result = null;
        boolean madeOutputDir = !Files.exists(job.outputDir());
        try {
            Files.createDirectories(job.outputDir());
            result = execute();
            end = job.isCancelRequested()
                    ? (job.isShuttingDown() ? JobState.INTERRUPTED : JobState.CANCELLED)
                    : JobState.DONE;
            if (end == JobState.INTERRUPTED) {
                failure = new JobFailure(
                        "the server stopped during the job"
                                + job.lastCheckpoint()
                                        .map(c -> "; resume it with --resume_from_checkpoint " + c)
                                        .orElse(""),
                        false);
            }
        } catch (Throwable e) {
            end = JobState.FAILED;
            failure = new JobFailure(
                    e.getMessage() != null ? e.getMessage() : e.toString(), e instanceof IllegalArgumentException);
        } finally {
            taken.forEach(ExtensionHandle::close);
        }
        if (end == JobState.FAILED && madeOutputDir) {
            removeIfEmpty(job.outputDir()); // a job that failed before writing anything leaves no trace of output
        }
        if (result == null && end != JobState.FAILED) {
            result = job.lastCheckpoint().map(Path::toString).orElse(null);
        }
        job.changeState(end, failure, result);
    }

    private static void removeIfEmpty(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            if (files.findAny().isEmpty()) {
                Files.delete(dir);
            }
        } catch (IOException e) {
            // left in place: harmless
        }
    }

    /** Calls the extension the request names; returns what it produced, if it says. */
    private String execute() throws Exception {
        String name = job.request().name();
        switch (job.request().kind()) {
            case TRAINING_METHOD -> extension(TrainingMethod.class, name).get().train(this);
            case EXPORTER -> {
                return String.valueOf(extension(Exporter.class, name).get().export(this));
            }
            case EVALUATOR -> {
                return EvaluationResult.write(
                                extension(Evaluator.class, name).get().evaluate(this), name, this)
                        .toString();
            }
            default ->
                throw new IllegalArgumentException("kind: jobs run training methods, exporters and evaluators, not "
                        + job.request().kind().label());
        }
        return null;
    }

    @Override
    public String jobId() {
        return job.id();
    }

    @Override
    public Arguments arguments() {
        return job.request().arguments();
    }

    @Override
    public Path outputDir() {
        return job.outputDir();
    }

    @Override
    public DeviceId device() {
        return job.request().device();
    }

    @Override
    public ProgressReporter progress() {
        return this;
    }

    @Override
    public boolean isCancelled() {
        return job.isCancelRequested();
    }

    @Override
    public synchronized <T extends Extension> ExtensionHandle<T> extension(Class<T> type, String name) {
        ExtensionHandle<T> handle = extensions.require(type, name);
        taken.add(handle);
        return handle;
    }

    @Override
    public synchronized void begin(String name, long totalSteps) {
        phase = name;
        phaseTotal = totalSteps;
        firstStep = -1;
        job.add(JobEvent.Type.BEGIN, null, name, 0, totalSteps, Map.of(), -1, null);
    }

    @Override
    public synchronized void step(long step, Map<String, Double> metrics) {
        long now = System.nanoTime();
        double eta = -1;
        if (firstStep < 0) {
            firstStep = step; // the rate is measured from here: the first step also loaded the model
            firstStepNanos = now;
        } else if (phaseTotal > 0 && step > firstStep) {
            eta = (now - firstStepNanos) / 1e9 / (step - firstStep) * (phaseTotal - step);
        }
        job.add(JobEvent.Type.STEP, null, phase, step, phaseTotal, metrics, eta, null);
    }

    @Override
    public void message(String text) {
        job.add(JobEvent.Type.LOG, null, null, 0, -1, Map.of(), -1, text);
    }
}
