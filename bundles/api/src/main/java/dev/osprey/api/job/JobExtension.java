package dev.osprey.api.job;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.Extension;

/**
 * An extension that runs as a job (a training method, an exporter, an evaluator) and says which arguments
 * it takes, so that the command line, the HTTP API and the web UI can offer them without knowing the
 * extension's classes.
 */
@ConsumerType
public interface JobExtension extends Extension {

    /**
     * The arguments this extension reads from {@link JobContext#arguments()}, in the order to show them;
     * empty when it does not say (then any name is passed through to {@code validate}).
     */
    default List<ArgumentSpec> arguments() {
        return List.of();
    }
}
