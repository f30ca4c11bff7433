package dev.osprey.api.eval;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.JobExtension;

/**
 * A benchmark or metric run against a model ({@code --eval_dataset NAME}). Stateless; one call per job,
 * on the job's thread. A running evaluation keeps the instance it started with if the bundle goes away.
 */
@ConsumerType
public interface Evaluator extends JobExtension {

    /** Runs the evaluation; the model and data come from {@link JobContext#arguments()}. */
    EvaluationReport evaluate(JobContext job) throws Exception;
}
