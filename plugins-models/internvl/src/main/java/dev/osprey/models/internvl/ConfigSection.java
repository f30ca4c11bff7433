package dev.osprey.models.internvl;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.model.ModelConfig;

/**
 * The object under one field of a config, as a config of its own: InternVL's {@code llm_config} or
 * {@code text_config}, which the language model's family reads as its config.json. A view that reads the enclosing
 * config with the field's prefix, so its errors name the field in full ({@code llm_config.hidden_size}).
 */
final class ConfigSection implements ModelConfig {

    private final ModelConfig config;
    private final String prefix;

    /** @param field the field that holds the section, which must be an object */
    ConfigSection(ModelConfig config, String field) {
        Object value = config.get(field)
                .orElseThrow(() -> new IllegalArgumentException(
                        config.source() + ": config field '" + field + "' (the language model's config) is missing"));
        if (!(value instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(config.source() + ": config field '" + field + "' must be an object");
        }
        this.config = config;
        this.prefix = field + ".";
    }

    private String[] within(String... keys) {
        return Arrays.stream(keys).map(k -> prefix + k).toArray(String[]::new);
    }

    @Override
    public Path source() {
        return config.source();
    }

    @Override
    public String modelType() {
        return config.getString(prefix + "model_type")
                .orElseThrow(() -> new IllegalArgumentException(
                        config.source() + ": required field '" + prefix + "model_type' is missing"));
    }

    @Override
    public Optional<String> architecture() {
        return config.get(prefix + "architectures")
                .filter(List.class::isInstance)
                .map(List.class::cast)
                .filter(l -> !l.isEmpty())
                .map(l -> String.valueOf(l.get(0)));
    }

    @Override
    public Optional<Object> get(String... keys) {
        return config.get(within(keys));
    }

    @Override
    public int requireInt(String... keys) {
        return config.requireInt(within(keys));
    }

    @Override
    public int getInt(int defaultValue, String... keys) {
        return config.getInt(defaultValue, within(keys));
    }

    @Override
    public double requireDouble(String... keys) {
        return config.requireDouble(within(keys));
    }

    @Override
    public double getDouble(double defaultValue, String... keys) {
        return config.getDouble(defaultValue, within(keys));
    }

    @Override
    public boolean getBoolean(boolean defaultValue, String... keys) {
        return config.getBoolean(defaultValue, within(keys));
    }

    @Override
    public Optional<String> getString(String... keys) {
        return config.getString(within(keys));
    }

    @SuppressWarnings("unchecked")
    @Override
    public Map<String, Object> asMap() {
        return (Map<String, Object>)
                config.get(prefix.substring(0, prefix.length() - 1)).orElseThrow();
    }
}
