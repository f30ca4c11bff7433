package dev.osprey.kernel.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.PluginInfo;
import dev.osprey.api.plugin.PluginState;

/** The plugin inventory as a text table or as JSON. */
public final class PluginReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PluginReport() {
    }

    /**
     * A table: one line per plugin (id, state, name, version, extensions), problems indented below.
     * Platform bundles that provide no extension are left out unless {@code all}.
     */
    public static String table(List<PluginInfo> plugins, boolean all) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATE", "PLUGIN", "VERSION", "EXTENSIONS"});
        Map<Integer, List<String>> problems = new LinkedHashMap<>();
        for (PluginInfo p : plugins) {
            if (!all && !p.hotDeployed() && p.extensions().isEmpty() && !p.failed()) {
                continue;
            }
            String extensions = p.extensions().stream().map(ExtensionInfo::toString).collect(Collectors.joining(", "));
            rows.add(new String[] {p.bundleId() < 0 ? "-" : Long.toString(p.bundleId()), p.state().name(),
                    p.symbolicName() + (p.hotDeployed() ? " (plugins/)" : ""), p.version(),
                    extensions.isEmpty() ? "-" : extensions});
            if (!p.problems().isEmpty()) {
                problems.put(rows.size() - 1, p.problems());
            }
        }
        int[] width = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < 4; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            out.append(String.format("%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %-" + width[3] + "s  %s%n",
                    (Object[]) row));
            for (String problem : problems.getOrDefault(r, List.of())) {
                out.append("      ! ").append(problem).append(System.lineSeparator());
            }
        }
        return out.toString();
    }

    /** JSON: {@code {"plugins": [{"id", "name", "version", "state", "location", "hot_deployed", "extensions": [...], "problems": [...]}]}}. */
    public static String json(List<PluginInfo> plugins) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (PluginInfo p : plugins) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", p.bundleId());
            m.put("name", p.symbolicName());
            m.put("version", p.version());
            m.put("state", p.state().name());
            m.put("location", p.location());
            m.put("hot_deployed", p.hotDeployed());
            m.put("extensions", p.extensions().stream().map(PluginReport::extension).toList());
            m.put("problems", p.problems());
            list.add(m);
        }
        try {
            return JSON.writeValueAsString(Map.of("plugins", list));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads back what {@link #json} wrote, for example from another Osprey's {@code GET /api/plugins}. */
    public static List<PluginInfo> fromJson(String json) throws java.io.IOException {
        List<PluginInfo> plugins = new ArrayList<>();
        for (JsonNode p : JSON.readTree(json).path("plugins")) {
            String name = p.path("name").asText();
            String version = p.path("version").asText();
            List<ExtensionInfo> extensions = new ArrayList<>();
            for (JsonNode e : p.path("extensions")) {
                ExtensionKind kind = java.util.Arrays.stream(ExtensionKind.values())
                        .filter(k -> k.label().equals(e.path("kind").asText())).findFirst().orElse(null);
                if (kind != null) {
                    extensions.add(new ExtensionInfo(kind, e.path("name").asText(), e.path("description").asText(), name, version, -1));
                }
            }
            List<String> problems = new ArrayList<>();
            p.path("problems").forEach(x -> problems.add(x.asText()));
            plugins.add(new PluginInfo(p.path("id").asLong(), name, version, PluginState.valueOf(p.path("state").asText()),
                    p.path("location").asText(), p.path("hot_deployed").asBoolean(), extensions, problems));
        }
        return plugins;
    }

    private static Map<String, Object> extension(ExtensionInfo e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", e.kind().label());
        m.put("name", e.name());
        m.put("description", e.description());
        return m;
    }
}
