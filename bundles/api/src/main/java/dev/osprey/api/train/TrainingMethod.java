package dev.osprey.api.train;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.JobExtension;

/**
 * One way to train a model: {@code pt}, {@code sft}, {@code dpo}, {@code kto}, {@code simpo},
 * {@code orpo}, {@code cpo}, {@code rm}, {@code grpo}, ... ({@link #name()}). The CLI
 * ({@code osprey sft}, {@code osprey rlhf --rlhf_type dpo}), the Java API and the web UI all end here.
 *
 * <p>Stateless: one instance runs any number of jobs, each on the thread that calls {@link #train}.
 * A running job keeps the instance it started with; if the method's bundle is updated or removed
 * meanwhile, the job finishes on the old classes and the next job uses the new ones.
 */
@ConsumerType
public interface TrainingMethod extends JobExtension {

    /**
     * Checks the options before any work starts.
     *
     * @throws IllegalArgumentException naming the unknown or contradictory option
     */
    default void validate(Arguments arguments) {}

    /**
     * Runs the job to the end, writing checkpoints into {@link JobContext#outputDir()}. Returns early,
     * after saving, when {@link JobContext#isCancelled()} turns true.
     */
    void train(JobContext job) throws Exception;
}
