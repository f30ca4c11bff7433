package dev.osprey.kernel.impl;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;

/**
 * The error for an extension asked for by name that is not there ({@code --reward_funcs faulty}): the names
 * of that kind that are installed, and the plugins that would provide that kind but did not start, each
 * with its bundle, its file and the inventory's reasons, so that whoever dropped a plugin in learns why
 * its extension is missing rather than only that it is.
 */
final class MissingExtension {

    private MissingExtension() {}

    /**
     * @param installed the names of this kind present now
     * @param notStarted plugins that declare this kind (or may: files that could not be installed) but
     *        provide nothing now, with their problems
     */
    static String message(ExtensionKind kind, String name, List<String> installed, List<PluginInfo> notStarted) {
        String message = "no " + kind.label() + " named '" + name + "' is installed; installed: "
                + (installed.isEmpty() ? "none" : String.join(", ", installed)) + ".";
        if (notStarted.isEmpty()) {
            return message + " A plugin bundle dropped into plugins/ adds one (see docs/writing-a-plugin.md).";
        }
        return message
                + (notStarted.size() == 1
                        ? " A " + kind.label() + " plugin did not start: "
                        : " " + notStarted.size() + " " + kind.label() + " plugins did not start: ")
                + notStarted.stream().map(MissingExtension::describe).collect(Collectors.joining(" | "))
                + ". `osprey plugins` lists every plugin with its state.";
    }

    /** e.g. {@code com.example.faulty 1.0.0 (/opt/osprey/plugins/faulty.jar) failed: component ... failed to activate: ...}. */
    private static String describe(PluginInfo plugin) {
        Path file = PluginInventoryImpl.fileOf(plugin.location());
        String where = file != null ? file.toString() : plugin.location();
        String what = switch (plugin.state()) {
            case NOT_INSTALLED -> where + " could not be installed";
            case TRANSITIONING ->
                plugin.symbolicName() + " " + plugin.version() + " (" + where + ") is still starting; try again";
            case RESOLVED -> plugin.symbolicName() + " " + plugin.version() + " (" + where + ") is not started";
            default -> plugin.symbolicName() + " " + plugin.version() + " (" + where + ") failed";
        };
        return plugin.problems().isEmpty() ? what : what + ": " + String.join("; ", plugin.problems());
    }
}
