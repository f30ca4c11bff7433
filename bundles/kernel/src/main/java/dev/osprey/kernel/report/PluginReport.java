package dev.osprey.kernel.report;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.plugin.PluginInfo;

/** The plugin inventory as JSON, the body of {@code GET /api/plugins}. */
public final class PluginReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PluginReport() {}

    /** JSON: {@code {"plugins": [...]}}, each plugin as {@link PluginInfo#toMap()} writes it. */
    public static String json(List<PluginInfo> plugins) {
        try {
            return JSON.writeValueAsString(
                    Map.of("plugins", plugins.stream().map(PluginInfo::toMap).toList()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
