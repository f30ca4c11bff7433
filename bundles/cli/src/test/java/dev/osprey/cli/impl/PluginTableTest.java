package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

class PluginTableTest {

    private final List<PluginInfo> plugins = List.of(
            new PluginInfo(
                    3, "dev.osprey.kernel", "1.1.0", PluginState.ACTIVE, "jar/kernel.jar", false, List.of(), List.of()),
            new PluginInfo(
                    7,
                    "com.example.reward",
                    "2.0.0",
                    PluginState.ACTIVE,
                    "file:/p/r.jar",
                    true,
                    List.of(new ExtensionInfo(
                            ExtensionKind.REWARD_FUNCTION, "custom_length", "d", "com.example.reward", "2.0.0", 42)),
                    List.of()),
            new PluginInfo(
                    -1,
                    "notes.txt",
                    "",
                    PluginState.NOT_INSTALLED,
                    "/p/notes.txt",
                    true,
                    List.of(),
                    List.of("not a jar: ignored")));

    @Test
    void theTableShowsPluginsExtensionsAndProblems() {
        String table = PluginTable.table(plugins, false);
        assertFalse(table.contains("dev.osprey.kernel"), table);
        assertTrue(table.contains("com.example.reward (plugins/)"), table);
        assertTrue(table.contains("reward:custom_length"), table);
        assertTrue(table.contains("! not a jar: ignored"), table);
        assertTrue(PluginTable.table(plugins, true).contains("dev.osprey.kernel"));
    }
}
