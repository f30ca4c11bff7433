package dev.osprey.api.plugin;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The list behind {@code osprey plugins}, the Gogo command {@code osprey:plugins} and
 * {@code GET /api/plugins}: every installed bundle, every file of the plugins folder that could not be
 * installed, the extensions each provides, and for a failed plugin the reason.
 *
 * <p>Thread-safe; each call returns a fresh snapshot.
 */
@ProviderType
public interface PluginInventory {

    /** All plugins, platform bundles first, then hot-deployed ones, each group sorted by name. */
    List<PluginInfo> plugins();

    /** The plugin with this symbolic name (or, for a file that is not installed, this file name). */
    default Optional<PluginInfo> plugin(String symbolicName) {
        return plugins().stream()
                .filter(p -> p.symbolicName().equals(symbolicName))
                .findFirst();
    }
}
