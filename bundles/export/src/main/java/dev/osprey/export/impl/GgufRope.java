package dev.osprey.export.impl;

import java.util.List;
import java.util.Optional;

import dev.osprey.checkpoint.HfConfig;

/**
 * A model's (global-attention) RoPE as llama.cpp reads it, from {@code rope_parameters} (transformers 5; per
 * attention kind for Gemma 3) or {@code rope_scaling}: the base as {@code ARCH.rope.freq_base}, linear and yarn
 * scaling as {@code ARCH.rope.scaling.*} (as convert_hf_to_gguf.py writes them), llama3's as the divisors of the
 * {@code rope_freqs.weight} tensor.
 */
final class GgufRope {

    /** The rope_type values llama.cpp reproduces. */
    static final List<String> SUPPORTED = List.of("default", "linear", "llama3", "yarn");

    private final HfConfig config;
    private final int headDim;
    /** The rope_type: default, linear, llama3, yarn, or one llama.cpp lacks. */
    final String type;

    GgufRope(HfConfig config, int headDim) {
        this.config = config;
        this.headDim = headDim;
        this.type = config.getString(keys("rope_type"))
                .or(() -> config.getString("rope_scaling.type"))
                .orElse("default");
    }

    double theta() {
        return number("rope_theta", config.getDouble(10000.0, "rope_theta"));
    }

    /** linear and yarn scaling as metadata (yarn's original context falls back to max_position_embeddings). */
    void putScaling(GgufWriter gguf, String arch) {
        if (!type.equals("linear") && !type.equals("yarn")) {
            return;
        }
        gguf.put(arch + "rope.scaling.type", type).put(arch + "rope.scaling.factor", (float) number("factor", 1.0));
        if (type.equals("yarn")) {
            gguf.put(arch + "rope.scaling.original_context_length", (int)
                    number("original_max_position_embeddings", config.requireInt("max_position_embeddings")));
            putIfSet(gguf, arch + "rope.scaling.yarn_ext_factor", "extrapolation_factor");
            putIfSet(gguf, arch + "rope.scaling.yarn_attn_factor", "attention_factor");
            putIfSet(gguf, arch + "rope.scaling.yarn_beta_fast", "beta_fast");
            putIfSet(gguf, arch + "rope.scaling.yarn_beta_slow", "beta_slow");
            value("truncate").ifPresent(t -> gguf.put(arch + "rope.scaling.yarn_truncate", (Boolean) t));
        }
    }

    /**
     * llama3's per-frequency divisors: 1 for wavelengths under original / high_freq_factor, the factor above
     * original / low_freq_factor, and a smooth blend between.
     */
    float[] llama3FreqFactors() {
        double theta = theta();
        double factor = number("factor", 8.0);
        double low = number("low_freq_factor", 1.0);
        double high = number("high_freq_factor", 4.0);
        double original = number("original_max_position_embeddings", 8192);
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            double wavelength = 2 * Math.PI * Math.pow(theta, 2.0 * i / headDim);
            if (wavelength < original / high) {
                factors[i] = 1;
            } else if (wavelength > original / low) {
                factors[i] = (float) factor;
            } else {
                double smooth = (original / wavelength - low) / (high - low);
                factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }

    private void putIfSet(GgufWriter gguf, String key, String field) {
        if (value(field).isPresent()) {
            gguf.put(key, (float) number(field, 0));
        }
    }

    private Optional<Object> value(String field) {
        return config.get(keys(field));
    }

    private double number(String field, double defaultValue) {
        return config.getDouble(defaultValue, keys(field));
    }

    private static String[] keys(String field) {
        return new String[] {
            "rope_parameters.full_attention." + field, "rope_parameters." + field, "rope_scaling." + field
        };
    }
}
