package dev.osprey.kernel.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.plugin.PluginInfo;

/** The plugin inventory as JSON, the body of {@code GET /api/plugins}. */
public final class PluginReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PluginReport() {
    }

    /** JSON: {@code {"plugins": [...]}}, each plugin as {@link PluginInfo#toMap()} writes it. */
    public static String json(List<PluginInfo> plugins) {
        try {
            return JSON.writeValueAsString(Map.of("plugins", plugins.stream().map(PluginInfo::toMap).toList()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads back what {@link #json} wrote, for example from another Osprey's {@code GET /api/plugins}. */
    public static List<PluginInfo> fromJson(String json) throws java.io.IOException {
        List<PluginInfo> plugins = new ArrayList<>();
        for (Object p : (List<?>) JSON.readValue(json, Map.class).getOrDefault("plugins", List.of())) {
            plugins.add(PluginInfo.fromMap((Map<?, ?>) p));
        }
        return plugins;
    }
}
