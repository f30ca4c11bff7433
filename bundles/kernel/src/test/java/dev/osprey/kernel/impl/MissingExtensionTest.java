package dev.osprey.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

class MissingExtensionTest {

    @Test
    void withoutFailedPluginsItListsTheInstalledNamesAndHowToAddOne() {
        assertEquals(
                "no reward named 'faulty' is installed; installed: accuracy, format. A plugin bundle dropped into plugins/ adds one"
                        + " (see docs/writing-a-plugin.md).",
                MissingExtension.message(
                        ExtensionKind.REWARD_FUNCTION, "faulty", List.of("accuracy", "format"), List.of()));
    }

    @Test
    void eachPluginThatDidNotStartIsNamedWithItsFileAndReasons() {
        PluginInfo failed = new PluginInfo(
                46,
                "com.example.faulty",
                "1.0.0",
                PluginState.FAILED,
                "file:/opt/osprey/plugins/faulty.jar",
                true,
                List.of(),
                List.of(
                        "component F failed to activate: java.lang.IllegalStateException: no",
                        "service F: no instance"));
        PluginInfo notABundle = new PluginInfo(
                -1,
                "plain.jar",
                "",
                PluginState.NOT_INSTALLED,
                "/opt/osprey/plugins/plain.jar",
                true,
                List.of(),
                List.of("no Bundle-SymbolicName: not an OSGi bundle"));
        assertEquals(
                "no reward named 'faulty' is installed; installed: none. 2 reward plugins did not start: com.example.faulty 1.0.0"
                        + " (/opt/osprey/plugins/faulty.jar) failed: component F failed to activate: java.lang.IllegalStateException: no; service F:"
                        + " no instance | /opt/osprey/plugins/plain.jar could not be installed: no Bundle-SymbolicName: not an OSGi bundle."
                        + " `osprey plugins` lists every plugin with its state.",
                MissingExtension.message(
                        ExtensionKind.REWARD_FUNCTION, "faulty", List.of(), List.of(failed, notABundle)));
    }
}
