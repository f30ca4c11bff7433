package dev.osprey.models.gemmavision;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.TextConfigSection;

/**
 * The language models of these families: the Gemma decoders the platform's Gemma bundle publishes as
 * {@code ModelArchitecture} services (gemma, gemma2, gemma3_text), found by model type rather than copied, and the
 * {@code text_config} they read.
 */
final class TextDecoders {

    /** transformers' defaults of the fields the Hub's sparse {@code text_config}s leave out, by model type. */
    private static final Map<String, Map<String, Object>> DEFAULTS = Map.of(
            "gemma",
            Map.of(
                    "vocab_size", 256000,
                    "hidden_size", 3072,
                    "intermediate_size", 24576,
                    "num_hidden_layers", 28,
                    "num_attention_heads", 16,
                    "num_key_value_heads", 16,
                    "head_dim", 256,
                    "max_position_embeddings", 8192,
                    "rms_norm_eps", 1e-6),
            "gemma2",
            Map.ofEntries(
                    Map.entry("vocab_size", 256000),
                    Map.entry("hidden_size", 2304),
                    Map.entry("intermediate_size", 9216),
                    Map.entry("num_hidden_layers", 26),
                    Map.entry("num_attention_heads", 8),
                    Map.entry("num_key_value_heads", 4),
                    Map.entry("head_dim", 256),
                    Map.entry("max_position_embeddings", 8192),
                    Map.entry("rms_norm_eps", 1e-6),
                    Map.entry("query_pre_attn_scalar", 256),
                    Map.entry("sliding_window", 4096),
                    Map.entry("final_logit_softcapping", 30.0),
                    Map.entry("attn_logit_softcapping", 50.0)),
            "gemma3_text",
            Map.ofEntries(
                    Map.entry("vocab_size", 262208),
                    Map.entry("hidden_size", 2304),
                    Map.entry("intermediate_size", 9216),
                    Map.entry("num_hidden_layers", 26),
                    Map.entry("num_attention_heads", 8),
                    Map.entry("num_key_value_heads", 4),
                    Map.entry("head_dim", 256),
                    Map.entry("max_position_embeddings", 131072),
                    Map.entry("rms_norm_eps", 1e-6),
                    Map.entry("query_pre_attn_scalar", 256),
                    Map.entry("sliding_window", 4096)));

    private final Map<String, DecoderFamily> families = new ConcurrentHashMap<>();

    /** A published architecture; the decoder families among them serve as language models. */
    void add(ModelArchitecture architecture) {
        if (architecture instanceof DecoderFamily family) {
            families.put(architecture.name(), family);
        }
    }

    void remove(ModelArchitecture architecture) {
        families.remove(architecture.name(), architecture);
    }

    /**
     * The decoder family of {@code text}'s model type.
     *
     * @param model the multimodal model type, for the message
     * @throws IllegalArgumentException when the type is not one of {@code allowed} or no bundle publishes it
     */
    DecoderFamily family(ModelConfig text, String model, Set<String> allowed) {
        String type = text.modelType();
        if (!allowed.contains(type)) {
            throw new IllegalArgumentException(text.source() + ": text_config.model_type '" + type + "' is not a "
                    + model + " language model; supported: " + allowed);
        }
        DecoderFamily family = families.get(type);
        if (family == null) {
            throw new IllegalArgumentException(model + " needs the language model architecture '" + type
                    + "', which no installed bundle publishes (dev.osprey.models.gemma has it)");
        }
        return family;
    }

    /**
     * The {@code text_config} of {@code config} as a config of its own, the fields it leaves out filled with
     * transformers' defaults for its model type ({@code defaultType} when it names none).
     */
    static ModelConfig textConfig(ModelConfig config, String defaultType) {
        Object given = config.get("text_config").orElse(Map.of());
        if (!(given instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(config.source() + ": text_config must be an object");
        }
        String type = config.getString("text_config.model_type").orElse(defaultType);
        Map<String, Object> defaults = new LinkedHashMap<>(DEFAULTS.getOrDefault(type, Map.of()));
        // a composite model's tie_word_embeddings is the language model's (PaliGemma and Gemma 3 tie by default)
        defaults.put("tie_word_embeddings", config.getBoolean(true, "tie_word_embeddings"));
        return new TextConfigSection(config, type, defaults);
    }
}
