package dev.osprey.model.spi;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.model.ModelConfig;

/**
 * A composite model's {@code text_config} as a config of its own, for the language model's family (a vision-language
 * model over an installed text family): each key is read as {@code text_config.KEY}, so messages name that field, and
 * one the file leaves out takes the default the family gives for it (transformers' config class of its model type).
 */
public final class TextConfigSection implements ModelConfig {

    private static final String PREFIX = "text_config.";

    private final ModelConfig parent;
    private final String modelType;
    private final Map<String, Object> defaults;

    /**
     * @param modelType the language model's type
     * @param defaults values of the fields the section leaves out
     */
    public TextConfigSection(ModelConfig parent, String modelType, Map<String, Object> defaults) {
        this.parent = parent;
        this.modelType = modelType;
        this.defaults = defaults;
    }

    private static String[] nested(String... keys) {
        return Arrays.stream(keys).map(k -> PREFIX + k).toArray(String[]::new);
    }

    private Optional<Object> defaultOf(String... keys) {
        return Arrays.stream(keys).filter(defaults::containsKey).findFirst().map(defaults::get);
    }

    /** The architectures the section names ({@code text_config.architectures}), empty when none. */
    public List<String> architectures() {
        return parent.get(PREFIX + "architectures").orElse(null) instanceof List<?> names
                ? names.stream().map(String::valueOf).toList()
                : List.of();
    }

    @Override
    public Path source() {
        return parent.source();
    }

    @Override
    public String modelType() {
        return modelType;
    }

    @Override
    public Optional<String> architecture() {
        return architectures().stream().findFirst();
    }

    @Override
    public Optional<Object> get(String... keys) {
        Optional<Object> given = parent.get(nested(keys));
        return given.isPresent() ? given : defaultOf(keys);
    }

    @Override
    public int requireInt(String... keys) {
        Optional<Object> fallback = defaultOf(keys);
        if (parent.get(nested(keys)).isEmpty() && fallback.isPresent()) {
            return ((Number) fallback.get()).intValue();
        }
        return parent.requireInt(nested(keys));
    }

    @Override
    public int getInt(int defaultValue, String... keys) {
        return parent.getInt(defaultOf(keys).map(v -> ((Number) v).intValue()).orElse(defaultValue), nested(keys));
    }

    @Override
    public double requireDouble(String... keys) {
        Optional<Object> fallback = defaultOf(keys);
        if (parent.get(nested(keys)).isEmpty() && fallback.isPresent()) {
            return ((Number) fallback.get()).doubleValue();
        }
        return parent.requireDouble(nested(keys));
    }

    @Override
    public double getDouble(double defaultValue, String... keys) {
        return parent.getDouble(
                defaultOf(keys).map(v -> ((Number) v).doubleValue()).orElse(defaultValue), nested(keys));
    }

    @Override
    public boolean getBoolean(boolean defaultValue, String... keys) {
        return parent.getBoolean(defaultOf(keys).map(v -> (Boolean) v).orElse(defaultValue), nested(keys));
    }

    @Override
    public Optional<String> getString(String... keys) {
        Optional<String> given = parent.getString(nested(keys));
        return given.isPresent() ? given : defaultOf(keys).map(String::valueOf);
    }

    /** The defaults overlaid with the file's {@code text_config}. */
    @Override
    public Map<String, Object> asMap() {
        Map<String, Object> all = new LinkedHashMap<>(defaults);
        if (parent.get("text_config").orElse(null) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> all.put(String.valueOf(k), v));
        }
        all.put("model_type", modelType);
        return Collections.unmodifiableMap(all);
    }

    @Override
    public String toString() {
        return "text_config of " + parent;
    }
}
