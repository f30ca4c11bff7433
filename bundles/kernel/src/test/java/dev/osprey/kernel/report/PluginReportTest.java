package dev.osprey.kernel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

class PluginReportTest {

    private final List<PluginInfo> plugins = List.of(
            new PluginInfo(3, "dev.osprey.kernel", "1.1.0", PluginState.ACTIVE, "jar/kernel.jar", false, List.of(), List.of()),
            new PluginInfo(7, "com.example.reward", "2.0.0", PluginState.ACTIVE, "file:/p/r.jar", true,
                    List.of(new ExtensionInfo(ExtensionKind.REWARD_FUNCTION, "custom_length", "d", "com.example.reward", "2.0.0", 42)),
                    List.of()),
            new PluginInfo(-1, "notes.txt", "", PluginState.NOT_INSTALLED, "/p/notes.txt", true, List.of(),
                    List.of("not a jar: ignored")));

    @Test
    void jsonRoundTrips() throws Exception {
        List<PluginInfo> back = PluginReport.fromJson(PluginReport.json(plugins));
        assertEquals(3, back.size());
        assertEquals("custom_length", back.get(1).extensions().get(0).name());
        assertEquals(ExtensionKind.REWARD_FUNCTION, back.get(1).extensions().get(0).kind());
        assertEquals(List.of("not a jar: ignored"), back.get(2).problems());
        assertEquals(PluginState.NOT_INSTALLED, back.get(2).state());
    }
}
