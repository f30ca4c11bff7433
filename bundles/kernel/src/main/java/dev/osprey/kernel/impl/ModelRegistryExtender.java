package dev.osprey.kernel.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.BundleTracker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;

/**
 * The model registry, filled by an extender: when a bundle with an {@value ModelRegistry#MODELS_HEADER}
 * header starts, its JSON file is read; when it stops, its entries go. A malformed file is reported
 * with the bundle, the file and the entry at fault, and the bundle's other entries still load.
 */
@Component(
        service = {ModelRegistry.class, ModelRegistryExtender.class},
        immediate = true)
public class ModelRegistryExtender implements ModelRegistry {

    private static final System.Logger LOG = System.getLogger(ModelRegistryExtender.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Long, List<ModelEntry>> entriesByBundle = new ConcurrentHashMap<>();
    private final Map<Long, List<String>> problemsByBundle = new ConcurrentHashMap<>();
    private BundleTracker<Long> tracker;

    @Activate
    void activate(BundleContext context) {
        tracker = new BundleTracker<>(context, Bundle.ACTIVE, null) {
            @Override
            public Long addingBundle(Bundle bundle, BundleEvent event) {
                String path = bundle.getHeaders("").get(MODELS_HEADER);
                if (path == null) {
                    return null;
                }
                load(bundle, path.trim());
                return bundle.getBundleId();
            }

            @Override
            public void removedBundle(Bundle bundle, BundleEvent event, Long id) {
                entriesByBundle.remove(id);
                problemsByBundle.remove(id);
            }
        };
        tracker.open();
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }

    private void load(Bundle bundle, String path) {
        List<String> problems = new ArrayList<>();
        URL url = bundle.getEntry(path);
        if (url == null) {
            problems.add(MODELS_HEADER + " names " + path + ", which is not in the bundle");
        } else {
            try (InputStream in = url.openStream()) {
                entriesByBundle.put(
                        bundle.getBundleId(), parse(JSON.readTree(in), bundle.getSymbolicName(), path, problems));
            } catch (IOException e) {
                problems.add(path + " is not valid JSON: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            problemsByBundle.put(bundle.getBundleId(), problems);
            problems.forEach(p -> LOG.log(System.Logger.Level.WARNING, bundle.getSymbolicName() + ": " + p));
        }
    }

    /** Reads a registry file; bad entries are reported in {@code problems} and skipped. */
    static List<ModelEntry> parse(JsonNode root, String bundle, String path, List<String> problems) {
        List<ModelEntry> entries = new ArrayList<>();
        if (!root.isArray()) {
            problems.add(path + ": the top level must be a JSON array of model entries");
            return entries;
        }
        for (int i = 0; i < root.size(); i++) {
            JsonNode node = root.get(i);
            String id = text(node, "id");
            String modelType = text(node, "model_type");
            if (id.isEmpty() || modelType.isEmpty()) {
                problems.add(path + " entry " + i + ": 'id' and 'model_type' are required");
                continue;
            }
            Set<String> tags = new LinkedHashSet<>();
            node.path("tags").forEach(t -> tags.add(t.asText()));
            Map<String, String> requires = new LinkedHashMap<>();
            node.path("requires")
                    .fields()
                    .forEachRemaining(e -> requires.put(e.getKey(), e.getValue().asText()));
            entries.add(new ModelEntry(
                    id,
                    text(node, "modelscope_id"),
                    modelType,
                    text(node, "architecture"),
                    text(node, "template"),
                    tags,
                    requires,
                    bundle,
                    text(node, "task")));
        }
        return entries;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    /** Problems found in a bundle's registry file, for the inventory. */
    List<String> problems(long bundleId) {
        return problemsByBundle.getOrDefault(bundleId, List.of());
    }

    @Override
    public List<ModelEntry> entries() {
        return entriesByBundle.values().stream()
                .flatMap(List::stream)
                .sorted(Comparator.comparing(ModelEntry::id, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }

    @Override
    public Optional<ModelEntry> find(String id) {
        String key = id.toLowerCase(Locale.ROOT);
        return entries().stream()
                .filter(e -> e.id().toLowerCase(Locale.ROOT).equals(key)
                        || e.modelscopeId().toLowerCase(Locale.ROOT).equals(key))
                .findFirst();
    }

    @Override
    public List<ModelEntry> byModelType(String modelType) {
        return entries().stream().filter(e -> e.modelType().equals(modelType)).toList();
    }
}
