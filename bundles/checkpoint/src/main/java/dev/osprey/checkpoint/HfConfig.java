package dev.osprey.checkpoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.osprey.api.model.ModelConfig;

/**
 * A model's {@code config.json}, as the platform's {@link ModelConfig}.
 *
 * <p>Keys may be dotted paths into nested objects ({@code rope_scaling.factor}); a key that literally
 * contains dots is found too. When several keys are given, the first one present wins, because
 * checkpoints spell the same field differently ({@code num_experts} / {@code num_local_experts}).
 * JSON {@code null} counts as absent: Transformers writes {@code "rope_scaling": null} for "none".
 *
 * <p>A field that is present with the wrong type is an error even where a default is given: silently
 * using the default would build a different model than the checkpoint describes. Errors read
 * {@code config.json (/path/config.json): required field 'hidden_size' is missing}.
 */
public final class HfConfig implements ModelConfig {

    private final Path source;
    private final Map<String, Object> root;

    private HfConfig(Path source, Map<String, Object> root) {
        this.source = source;
        this.root = root;
    }

    /** Reads a {@code config.json}. */
    public static HfConfig read(Path configJson) throws IOException {
        return new HfConfig(configJson, Json.readObject(configJson));
    }

    /** A config from nested maps and lists (copied), e.g. in tests; {@code source} is for messages and may be null. */
    @SuppressWarnings("unchecked")
    public static HfConfig of(Map<String, ?> map, Path source) {
        return new HfConfig(source, (Map<String, Object>) Json.freeze(Objects.requireNonNull(map, "map")));
    }

    @Override
    public Path source() {
        return source;
    }

    /** {@code model_type}; required. */
    @Override
    public String modelType() {
        return requireString("model_type");
    }

    @Override
    public Optional<String> architecture() {
        Object value = root.get("architectures");
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof List<?> list)) {
            throw new CheckpointException(
                    source, "field 'architectures' must be a list of strings, was " + Json.show(value));
        }
        return list.isEmpty() ? Optional.empty() : Optional.of(Json.toStr(list.get(0), source, "architectures[0]"));
    }

    @Override
    public Optional<Object> get(String... keys) {
        return Optional.ofNullable(find(keys)).map(Found::value);
    }

    @Override
    public int requireInt(String... keys) {
        Found f = require(keys);
        return Json.toInt(f.value(), source, f.key());
    }

    @Override
    public int getInt(int defaultValue, String... keys) {
        Found f = find(keys);
        return f == null ? defaultValue : Json.toInt(f.value(), source, f.key());
    }

    /** As {@link #getInt} for values that may exceed an int. */
    public long getLong(long defaultValue, String... keys) {
        Found f = find(keys);
        return f == null ? defaultValue : Json.toLong(f.value(), source, f.key());
    }

    @Override
    public double requireDouble(String... keys) {
        Found f = require(keys);
        return Json.toDouble(f.value(), source, f.key());
    }

    @Override
    public double getDouble(double defaultValue, String... keys) {
        Found f = find(keys);
        return f == null ? defaultValue : Json.toDouble(f.value(), source, f.key());
    }

    @Override
    public boolean getBoolean(boolean defaultValue, String... keys) {
        Found f = find(keys);
        return f == null ? defaultValue : Json.toBoolean(f.value(), source, f.key());
    }

    @Override
    public Optional<String> getString(String... keys) {
        Found f = find(keys);
        return f == null ? Optional.empty() : Optional.of(Json.toStr(f.value(), source, f.key()));
    }

    /** The string of the first key present; throws naming the keys when none is. */
    public String requireString(String... keys) {
        Found f = require(keys);
        return Json.toStr(f.value(), source, f.key());
    }

    @Override
    public Map<String, Object> asMap() {
        return root;
    }

    private record Found(String key, Object value) {}

    private Found find(String... keys) {
        if (keys == null || keys.length == 0) {
            throw new IllegalArgumentException("at least one key is needed");
        }
        for (String key : keys) {
            Object value = Json.lookup(root, Objects.requireNonNull(key, "key"));
            if (value != null) {
                return new Found(key, value);
            }
        }
        return null;
    }

    private Found require(String... keys) {
        Found f = find(keys);
        if (f == null) {
            String others = Arrays.stream(keys).skip(1).map(k -> "'" + k + "'").collect(Collectors.joining(", "));
            throw new CheckpointException(
                    source,
                    "required field '" + keys[0] + "'" + (others.isEmpty() ? "" : " (or " + others + ")")
                            + " is missing");
        }
        return f;
    }

    @Override
    public String toString() {
        return "HfConfig[" + source + ", model_type=" + root.get("model_type") + "]";
    }
}
