package dev.osprey.models.llava;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.osprey.api.model.ModelConfig;

/**
 * A LLaVA-style config's {@code text_config} as a config of its own, for the language model's family: each key is
 * read as {@code text_config.KEY} (so messages name that field), and one the file leaves out takes the default
 * transformers' config class of its model type gives it (LLaVA 1.5's Hub configs name little more than the model
 * type and the vocabulary).
 */
final class TextSection implements ModelConfig {

    private static final String PREFIX = "text_config.";

    /** transformers' defaults of the fields the Hub's sparse {@code text_config}s leave out, by model type. */
    private static final Map<String, Map<String, Object>> DEFAULTS = Map.of(
            "llama",
            Map.of(
                    "vocab_size", 32000,
                    "hidden_size", 4096,
                    "intermediate_size", 11008,
                    "num_hidden_layers", 32,
                    "num_attention_heads", 32,
                    "max_position_embeddings", 2048,
                    "rms_norm_eps", 1e-6,
                    "rope_theta", 10000.0),
            "mistral",
            Map.of(
                    "vocab_size", 32000,
                    "hidden_size", 4096,
                    "intermediate_size", 14336,
                    "num_hidden_layers", 32,
                    "num_attention_heads", 32,
                    "num_key_value_heads", 8,
                    "max_position_embeddings", 131072,
                    "rms_norm_eps", 1e-6,
                    "rope_theta", 10000.0,
                    "sliding_window", 4096));

    private final ModelConfig parent;
    private final String modelType;
    private final Map<String, Object> defaults;

    private TextSection(ModelConfig parent, String modelType, Map<String, Object> defaults) {
        this.parent = parent;
        this.modelType = modelType;
        this.defaults = defaults;
    }

    /**
     * @param defaultType the model type of a {@code text_config} that names none (transformers' default of the class)
     * @throws IllegalArgumentException when {@code text_config} is not an object
     */
    static TextSection of(ModelConfig config, String defaultType) {
        Object given = config.get("text_config").orElse(Map.of());
        if (!(given instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(config.source() + ": text_config must be an object");
        }
        String type = config.getString(PREFIX + "model_type").orElse(defaultType);
        return new TextSection(config, type, DEFAULTS.getOrDefault(type, Map.of()));
    }

    private static String[] nested(String... keys) {
        return Arrays.stream(keys).map(k -> PREFIX + k).toArray(String[]::new);
    }

    private Optional<Object> defaultOf(String... keys) {
        return Arrays.stream(keys).filter(defaults::containsKey).findFirst().map(defaults::get);
    }

    /** The architectures the section names ({@code text_config.architectures}), empty when none. */
    List<String> architectures() {
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
