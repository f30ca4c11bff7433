package dev.osprey.api.plugin;

import java.util.List;
import java.util.Objects;

/**
 * One entry of the plugin inventory.
 *
 * @param bundleId the OSGi bundle id, or -1 for a file that is not installed
 * @param symbolicName the bundle symbolic name, or the file name when not installed
 * @param version the bundle version, or empty when unknown
 * @param state what users need to know about it
 * @param location where it came from: the bundle location or the file path
 * @param hotDeployed true when it was installed from the plugins folder, false for the platform's own bundles
 * @param extensions the extensions it publishes right now
 * @param problems why it failed, one reason per line; empty when healthy
 */
public record PluginInfo(long bundleId, String symbolicName, String version, PluginState state, String location,
        boolean hotDeployed, List<ExtensionInfo> extensions, List<String> problems) {

    public PluginInfo {
        Objects.requireNonNull(symbolicName, "symbolicName");
        Objects.requireNonNull(state, "state");
        version = version == null ? "" : version;
        location = location == null ? "" : location;
        extensions = List.copyOf(extensions);
        problems = List.copyOf(problems);
    }

    /** True when the plugin failed or could not be installed. */
    public boolean failed() {
        return state == PluginState.FAILED || state == PluginState.NOT_INSTALLED;
    }
}
