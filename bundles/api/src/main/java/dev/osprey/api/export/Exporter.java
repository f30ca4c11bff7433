package dev.osprey.api.export;

import java.nio.file.Path;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.JobExtension;

/**
 * Writes a model in another form: {@code merge_lora}, {@code gptq}, {@code awq}, {@code gguf}, ...
 * ({@link #name()}). Stateless; one call per job, on the job's thread. Output is written atomically: a
 * temporary folder renamed into place when complete, so a failed export leaves nothing half-written.
 */
@ConsumerType
public interface Exporter extends JobExtension {

    /** Exports the model named in the job's arguments and returns the folder or file written. */
    Path export(JobContext job) throws Exception;
}
