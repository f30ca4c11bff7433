package dev.osprey.train.loop;

import java.util.Map;

import dev.osprey.api.job.JobContext;

/**
 * A training run's listener that reports to the platform's {@link JobContext}: messages, a {@code train}
 * phase over the run's steps whose step events carry loss, learning rate, grad norm, tokens/s, the
 * objective's metrics and, on evaluated steps, the {@code eval_*} metrics; and the job's cancellation.
 */
public final class JobProgress implements TrainingListener {

    private final JobContext job;
    private boolean begun;

    public JobProgress(JobContext job) {
        this.job = job;
    }

    @Override
    public void message(String text) {
        job.progress().message(text);
    }

    @Override
    public void step(StepLog log, double elapsedSeconds, double tokensPerSecond) {
        if (!begun) {
            job.progress().begin("train", log.totalSteps());
            begun = true;
        }
        Map<String, Double> metrics = log.numbers();
        metrics.put("tokens_per_s", tokensPerSecond);
        job.progress().step(log.step(), metrics);
        if (!log.eval().isEmpty()) {
            StringBuilder line = new StringBuilder("step " + log.step());
            log.eval().forEach((k, v) -> line.append(String.format("  %s %.4f", k, v)));
            job.progress().message(line.toString());
        }
    }

    @Override
    public boolean cancelled() {
        return job.isCancelled();
    }
}
