package dev.osprey.api.plugin;

/** The state of a plugin as users care about it (coarser than the OSGi bundle states). */
public enum PluginState {
    /** Started, and every component it declares is active or merely waiting for an optional service. */
    ACTIVE,
    /** Installed and resolved, but not started (for instance it was stopped by hand). */
    RESOLVED,
    /** Starting or stopping right now. */
    TRANSITIONING,
    /** Installed but failed: imports nothing exports, an activator or component threw, ... See the problems. */
    FAILED,
    /** A file in the plugins folder that could not be installed at all (not a bundle, bad manifest). */
    NOT_INSTALLED
}
