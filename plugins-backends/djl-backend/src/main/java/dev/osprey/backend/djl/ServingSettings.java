package dev.osprey.backend.djl;

import java.util.Map;

import ai.djl.ndarray.types.DataType;

import dev.osprey.model.load.TorchDtype;
import dev.osprey.model.nn.QuantSpec;

/**
 * The backend settings of {@code BackendOptions.settings()}, by their vLLM names.
 *
 * @param maxNumSeqs {@code max_num_seqs}: sequences in the running batch at once (default 16)
 * @param maxNumBatchedTokens {@code max_num_batched_tokens}: prompt tokens read between two decode steps, so
 *        joining requests do not stall the running ones for long (default 256; without chunked prefill at least
 *        one whole prompt is always read)
 * @param chunkedPrefill {@code enable_chunked_prefill}: a prompt longer than what is left of an iteration's
 *        {@code max_num_batched_tokens} is read in chunks between decode steps (default true)
 * @param maxCachedTokens {@code max_cached_tokens}: tokens the KV caches may hold, reserved per sequence
 *        as prompt + max_tokens when it is admitted (default max_num_seqs x max_model_len)
 * @param maxModelLen {@code max_model_len}: the context length; 0 for config.json's
 *        {@code max_position_embeddings}
 * @param torchDtype {@code torch_dtype} as given: float32 (also for bfloat16 and auto, widened) or float16
 * @param dataType what {@code torchDtype} loads as
 * @param modelType {@code model_type}: the architecture to use instead of config.json's, or null
 * @param quantBits {@code quant_bits}: 8 (or 4) to quantize the decoder's linear layers while loading, served
 *        from their codes (int8: PyTorch's packed weight-only kernel); 0 (default): dense
 * @param quantType {@code quant_type} with 4 bits: nf4 (default) or int4; null otherwise
 */
record ServingSettings(
        int maxNumSeqs,
        int maxNumBatchedTokens,
        boolean chunkedPrefill,
        long maxCachedTokens,
        int maxModelLen,
        String torchDtype,
        DataType dataType,
        String modelType,
        int quantBits,
        String quantType) {

    /**
     * Reads the settings this backend knows; others are left alone, since the server passes every setting
     * of its configuration (port, api keys, other backends' settings) to whichever backend serves.
     *
     * @throws IllegalArgumentException naming the setting at fault
     */
    static ServingSettings parse(Map<String, String> settings) {
        int maxNumSeqs = positive(settings, "max_num_seqs", 16);
        int batched = positive(settings, "max_num_batched_tokens", 256);
        boolean chunked = bool(settings, "enable_chunked_prefill", true);
        long cached = settings.containsKey("max_cached_tokens") ? positive(settings, "max_cached_tokens", 1) : 0;
        int maxModelLen = settings.containsKey("max_model_len") ? positive(settings, "max_model_len", 1) : 0;
        String dtype = settings.getOrDefault("torch_dtype", "float32");
        DataType dataType;
        try {
            dataType = TorchDtype.of(dtype);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting torch_dtype must be float32 or float16, was '" + dtype + "'");
        }
        int quantBits = settings.containsKey("quant_bits") ? positive(settings, "quant_bits", 1) : 0;
        String quantType = settings.get("quant_type");
        if (quantBits != 0) {
            try {
                QuantSpec.of(quantBits, quantType);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("setting quant_bits / quant_type: " + e.getMessage());
            }
        }
        return new ServingSettings(
                maxNumSeqs,
                batched,
                chunked,
                cached,
                maxModelLen,
                dtype,
                dataType,
                settings.get("model_type"),
                quantBits,
                quantBits == 0 ? null : quantType);
    }

    /** How the decoder's linear layers are stored, or null for dense. */
    QuantSpec quantization() {
        return quantBits == 0 ? null : QuantSpec.of(quantBits, quantType);
    }

    private static int positive(Map<String, String> settings, String key, int defaultValue) {
        String value = settings.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("setting " + key + " must be a positive integer, was '" + value + "'");
    }

    private static boolean bool(Map<String, String> settings, String key, boolean defaultValue) {
        String value = settings.get(key);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default ->
                throw new IllegalArgumentException("setting " + key + " must be true or false, was '" + value + "'");
        };
    }

    /** The cached-token limit once the context length is known. */
    long cachedTokenLimit(int contextLength) {
        return maxCachedTokens > 0 ? maxCachedTokens : (long) maxNumSeqs * contextLength;
    }
}
