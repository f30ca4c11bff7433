package dev.osprey.kernel.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

class PluginReportTest {

    @Test
    void theJsonOfGetApiPluginsReadsBackIntoTheSameEntries() throws Exception {
        PluginInfo reward = new PluginInfo(
                7,
                "com.example.reward",
                "2.0.0",
                PluginState.ACTIVE,
                "file:/p/r.jar",
                true,
                List.of(new ExtensionInfo(
                        ExtensionKind.REWARD_FUNCTION, "custom_length", "d", "com.example.reward", "2.0.0", 42)),
                List.of("a warning"));
        Map<?, ?> json = new ObjectMapper().readValue(PluginReport.json(List.of(reward)), Map.class);
        PluginInfo back = PluginInfo.fromMap((Map<?, ?>) ((List<?>) json.get("plugins")).get(0));
        assertEquals(reward.symbolicName(), back.symbolicName());
        assertEquals(reward.bundleId(), back.bundleId());
        assertEquals(ExtensionKind.REWARD_FUNCTION, back.extensions().get(0).kind());
        assertEquals("custom_length", back.extensions().get(0).name());
        assertEquals(List.of("a warning"), back.problems());
        assertEquals(PluginState.ACTIVE, back.state());
        assertEquals(true, back.hotDeployed());
    }
}
