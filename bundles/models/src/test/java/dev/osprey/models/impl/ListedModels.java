package dev.osprey.models.impl;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;

/** Model-registry entries of a test, listed by hand (in the framework the kernel's extender reads them from bundles). */
public final class ListedModels implements ModelRegistry {

    private final List<ModelEntry> entries;

    public ListedModels(ModelEntry... entries) {
        this.entries = List.of(entries);
    }

    /** An entry: the id, its model_type and chat template. */
    public static ModelEntry entry(String id, String modelType, String template) {
        return new ModelEntry(id, "", modelType, "", template, Set.of(), Map.of(), "test");
    }

    @Override
    public List<ModelEntry> entries() {
        return entries;
    }

    @Override
    public Optional<ModelEntry> find(String id) {
        return entries.stream()
                .filter(e -> e.id().equalsIgnoreCase(id) || e.modelscopeId().equalsIgnoreCase(id))
                .findFirst();
    }

    @Override
    public List<ModelEntry> byModelType(String modelType) {
        return entries.stream().filter(e -> e.modelType().equals(modelType)).toList();
    }
}
