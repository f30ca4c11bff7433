package dev.osprey.api.jobs;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Runs long tasks as jobs: the {@link dev.osprey.api.train.TrainingMethod}, {@link dev.osprey.api.export.Exporter}
 * or {@link dev.osprey.api.eval.Evaluator} named in a request, found in the extension registry, so a
 * third-party method runs like the built-ins. One job per device runs at a time; the others wait in order.
 * Job records outlive the process: after a restart, past jobs are listed with their state and outputs, and a
 * job that was running is {@link JobState#INTERRUPTED}.
 */
@ProviderType
public interface JobService {

    /**
     * Validates the request with the named extension and queues it.
     *
     * @throws IllegalArgumentException naming the unknown method (and listing the installed ones) or the bad option
     */
    Job submit(JobRequest request);

    /** Every job this service knows, the newest first. */
    List<Job> list();

    Optional<Job> find(String id);
}
