package dev.osprey.api.plugin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
public record PluginInfo(
        long bundleId,
        String symbolicName,
        String version,
        PluginState state,
        String location,
        boolean hotDeployed,
        List<ExtensionInfo> extensions,
        List<String> problems) {

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

    /**
     * This entry as {@code GET /api/plugins} and {@code osprey plugins --json} write it, ready for any JSON
     * library: {@code id, name, version, state, location, hot_deployed, extensions [{kind, name, description}],
     * problems}.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", bundleId);
        m.put("name", symbolicName);
        m.put("version", version);
        m.put("state", state.name());
        m.put("location", location);
        m.put("hot_deployed", hotDeployed);
        List<Map<String, Object>> published = new ArrayList<>();
        for (ExtensionInfo e : extensions) {
            Map<String, Object> extension = new LinkedHashMap<>();
            extension.put("kind", e.kind().label());
            extension.put("name", e.name());
            extension.put("description", e.description());
            published.add(extension);
        }
        m.put("extensions", published);
        m.put("problems", problems);
        return m;
    }

    /**
     * An entry read back from what {@link #toMap()} wrote, such as another Osprey's {@code GET /api/plugins};
     * extensions of a kind this API does not know are left out.
     */
    public static PluginInfo fromMap(Map<?, ?> map) {
        String name = String.valueOf(map.get("name"));
        String version = map.get("version") == null ? "" : String.valueOf(map.get("version"));
        List<ExtensionInfo> extensions = new ArrayList<>();
        for (Object item : map.get("extensions") instanceof List<?> list ? list : List.of()) {
            Map<?, ?> e = (Map<?, ?>) item;
            for (ExtensionKind kind : ExtensionKind.values()) {
                if (kind.label().equals(e.get("kind"))) {
                    String description = (String) e.get("description");
                    extensions.add(
                            new ExtensionInfo(kind, String.valueOf(e.get("name")), description, name, version, -1));
                }
            }
        }
        List<String> problems = new ArrayList<>();
        (map.get("problems") instanceof List<?> list ? list : List.of()).forEach(x -> problems.add(String.valueOf(x)));
        return new PluginInfo(
                ((Number) map.get("id")).longValue(),
                name,
                version,
                PluginState.valueOf(String.valueOf(map.get("state"))),
                (String) map.get("location"),
                Boolean.TRUE.equals(map.get("hot_deployed")),
                extensions,
                problems);
    }
}
