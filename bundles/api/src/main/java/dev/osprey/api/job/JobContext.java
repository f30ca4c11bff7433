package dev.osprey.api.job;

import java.nio.file.Path;

import org.osgi.annotation.versioning.ProviderType;

import dev.osprey.api.Extension;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.plugin.ExtensionHandle;

/**
 * What the platform gives a running job (training, evaluation, export). One job, one context; the
 * context is valid until the job's method returns.
 */
@ProviderType
public interface JobContext {

    /** A unique id, also the name of the job's folder under the runs directory. */
    String jobId();

    /** The options, already validated by the job's extension. */
    Arguments arguments();

    /** Where the job writes checkpoints, logs and plots; it exists. */
    Path outputDir();

    /** The device selected with {@code --device}, known to be usable. */
    DeviceId device();

    ProgressReporter progress();

    /** True once the user asked the job to stop; jobs check it between steps and save before returning. */
    boolean isCancelled();

    /**
     * Takes another extension for the rest of the job (a reward function, a chat template). The handle is
     * closed by the platform when the job ends.
     *
     * @throws IllegalArgumentException naming the missing extension and listing the installed ones
     */
    <T extends Extension> ExtensionHandle<T> extension(Class<T> type, String name);
}
