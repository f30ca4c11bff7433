package dev.osprey.train.sft;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.osprey.api.job.JobContext;

/**
 * A training job's listener that reports to the platform's {@link JobContext}: messages, a {@code train}
 * phase over the run's steps with loss, learning rate, grad norm and tokens/s, evaluation losses, and
 * the job's cancellation.
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
    public void step(SftTrainer.StepLog log, double elapsedSeconds, double tokensPerSecond) {
        if (!begun) {
            job.progress().begin("train", log.totalSteps());
            begun = true;
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", log.loss());
        metrics.put("learning_rate", log.learningRate());
        metrics.put("grad_norm", log.gradNorm());
        metrics.put("tokens_per_s", tokensPerSecond);
        job.progress().step(log.step(), metrics);
    }

    @Override
    public void evaluated(long step, double evalLoss) {
        job.progress().message(String.format("step %d  eval_loss %.4f", step, evalLoss));
    }

    @Override
    public boolean cancelled() {
        return job.isCancelled();
    }
}
