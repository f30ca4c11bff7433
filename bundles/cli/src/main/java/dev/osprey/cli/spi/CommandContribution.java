package dev.osprey.cli.spi;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Adds subcommands to {@code osprey}: publish this service (a Declarative Services component) and the commands
 * appear in {@code osprey --help} beside the built-in ones, with the same handling of usage errors (exit 2),
 * failures (one line, exit 1, or 2 for bad input) and {@code --help}. Osprey's own developer commands
 * ({@code logits}, {@code generate}, {@code benchmark}, ...) arrive this way, from the devtools bundle.
 *
 * <p>The command line is built once per {@code osprey} invocation, after the platform has started.
 */
@ConsumerType
public interface CommandContribution {

    /**
     * Fresh picocli command objects: instances of classes annotated with {@code @Command}, whose name is the
     * subcommand's. A name that is already taken is reported and left out.
     */
    List<Object> newCommands();
}
