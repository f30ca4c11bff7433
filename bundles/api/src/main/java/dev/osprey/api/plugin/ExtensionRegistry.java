package dev.osprey.api.plugin;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

import dev.osprey.api.Extension;

/**
 * The kernel's whiteboard registry of extensions, by kind and name.
 *
 * <p>Thread-safe. Listings are snapshots. To use an extension for longer than one call, a job acquires
 * a handle and closes it when done; see {@link ExtensionHandle} for what happens when the extension goes
 * away meanwhile.
 */
@ProviderType
public interface ExtensionRegistry {

    /** The extensions of one kind present now, sorted by name. */
    List<ExtensionInfo> list(ExtensionKind kind);

    /** Every extension present now. */
    List<ExtensionInfo> all();

    /**
     * Takes the extension of this type and name for a job.
     *
     * @return empty when no such extension is present
     */
    <T extends Extension> Optional<ExtensionHandle<T>> acquire(Class<T> type, String name);

    /**
     * Like {@link #acquire} but fails with a message that lists the names present of that kind, for
     * command-line options such as {@code --reward_funcs}.
     *
     * @throws IllegalArgumentException naming the missing extension and the ones installed
     */
    <T extends Extension> ExtensionHandle<T> require(Class<T> type, String name);
}
