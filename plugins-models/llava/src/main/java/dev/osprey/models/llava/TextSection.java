package dev.osprey.models.llava;

import java.util.Map;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.TextConfigSection;

/**
 * A LLaVA-style config's {@code text_config} as a config of its own ({@link TextConfigSection}), with the defaults
 * transformers' config class of its model type gives the fields it leaves out (LLaVA 1.5's Hub configs name little
 * more than the model type and the vocabulary).
 */
final class TextSection {

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

    private TextSection() {}

    /**
     * @param defaultType the model type of a {@code text_config} that names none (transformers' default of the class)
     * @throws IllegalArgumentException when {@code text_config} is not an object
     */
    static TextConfigSection of(ModelConfig config, String defaultType) {
        Object given = config.get("text_config").orElse(Map.of());
        if (!(given instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(config.source() + ": text_config must be an object");
        }
        String type = config.getString(PREFIX + "model_type").orElse(defaultType);
        return new TextConfigSection(config, type, DEFAULTS.getOrDefault(type, Map.of()));
    }
}
