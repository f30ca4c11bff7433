package dev.osprey.cli.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.PluginInfo;

/** The plugin inventory as the text table of {@code osprey plugins}, {@code osprey serve} and {@code osprey:plugins}. */
final class PluginTable {

    private PluginTable() {}

    /**
     * A table: one line per plugin (id, state, name, version, extensions), problems indented below.
     * Platform bundles that provide no extension are left out unless {@code all}.
     */
    static String table(List<PluginInfo> plugins, boolean all) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "STATE", "PLUGIN", "VERSION", "EXTENSIONS"});
        Map<Integer, List<String>> problems = new LinkedHashMap<>();
        for (PluginInfo p : plugins) {
            if (!all && !p.hotDeployed() && p.extensions().isEmpty() && !p.failed()) {
                continue;
            }
            String extensions =
                    p.extensions().stream().map(ExtensionInfo::toString).collect(Collectors.joining(", "));
            rows.add(new String[] {
                p.bundleId() < 0 ? "-" : Long.toString(p.bundleId()),
                p.state().name(),
                p.symbolicName() + (p.hotDeployed() ? " (plugins/)" : ""),
                p.version(),
                extensions.isEmpty() ? "-" : extensions
            });
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
            out.append(String.format(
                    "%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %-" + width[3] + "s  %s%n",
                    (Object[]) row));
            for (String problem : problems.getOrDefault(r, List.of())) {
                out.append("      ! ").append(problem).append(System.lineSeparator());
            }
        }
        return out.toString();
    }
}
