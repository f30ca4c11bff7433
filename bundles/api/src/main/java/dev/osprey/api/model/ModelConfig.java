package dev.osprey.api.model;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A model's {@code config.json}, read once by the platform. Getters accept several keys because
 * checkpoints in the wild spell the same field differently ({@code num_experts} and
 * {@code num_local_experts}; {@code rope_theta} and {@code rope_parameters.rope_theta}): the first key
 * present wins. Nested fields are addressed with dots ({@code rope_scaling.factor}).
 *
 * <p>The {@code require*} methods throw an {@link IllegalArgumentException} that names the missing field
 * and the file, so architectures can assert their invariants where the config is read.
 */
@ProviderType
public interface ModelConfig {

    /** The file this config came from, for error messages. */
    Path source();

    /** {@code model_type}, e.g. {@code qwen2}. */
    String modelType();

    /** {@code architectures[0]}, e.g. {@code Qwen2ForCausalLM}, if present. */
    Optional<String> architecture();

    /** The raw value of the first key present, if any: a String, Number, Boolean, List or Map. */
    Optional<Object> get(String... keys);

    int requireInt(String... keys);

    int getInt(int defaultValue, String... keys);

    double requireDouble(String... keys);

    double getDouble(double defaultValue, String... keys);

    boolean getBoolean(boolean defaultValue, String... keys);

    Optional<String> getString(String... keys);

    /** The whole document as nested maps and lists, unmodifiable. */
    Map<String, Object> asMap();
}
