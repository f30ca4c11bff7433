package dev.osprey.models.gemma;

import java.util.List;

import dev.osprey.api.model.ModelConfig;

/** The config.json fields Gemma 2 and Gemma 3 share beyond Llama's: soft caps, attention scale, layer types. */
final class GemmaFields {

    static final String SLIDING = "sliding_attention";
    static final String FULL = "full_attention";

    private GemmaFields() {}

    /**
     * A soft cap: {@code field} as given, 0 (none) when it is null, {@code absent} when it is missing.
     *
     * @throws IllegalArgumentException when it is not positive
     */
    static double softcap(ModelConfig c, String field, double absent) {
        if (c.asMap().containsKey(field) && c.asMap().get(field) == null) {
            return 0;
        }
        double cap = c.getDouble(absent, field);
        if (!(cap >= 0) || Double.isInfinite(cap)) {
            throw new IllegalArgumentException(c.source() + ": " + field + " must be positive or null, was " + cap);
        }
        return cap;
    }

    /** The attention scale {@code query_pre_attn_scalar^-1/2} (default 256). */
    static double attentionScale(ModelConfig c) {
        double scalar = c.getDouble(256, "query_pre_attn_scalar");
        if (!(scalar > 0)) {
            throw new IllegalArgumentException(c.source() + ": query_pre_attn_scalar must be positive, was " + scalar);
        }
        return 1.0 / Math.sqrt(scalar);
    }

    /** {@code sliding_window}, default 4096; 0 when null (every layer global). */
    static int slidingWindow(ModelConfig c) {
        int window = c.getInt(c.asMap().containsKey("sliding_window") ? 0 : 4096, "sliding_window");
        if (window < 0) {
            throw new IllegalArgumentException(c.source() + ": sliding_window must be positive, was " + window);
        }
        return window;
    }

    /**
     * Which layers attend through the sliding window: {@code layer_types} when given, else every layer but
     * each {@code pattern}-th ({@code sliding_window_pattern}, as older checkpoints say it).
     *
     * @param defaultPattern the family's pattern when the config names none (Gemma 2: 2, Gemma 3: 6)
     * @return per layer, true when it is a sliding-window layer
     */
    static boolean[] slidingLayers(ModelConfig c, int layers, int defaultPattern) {
        boolean[] sliding = new boolean[layers];
        Object types = c.get("layer_types").orElse(null);
        if (types instanceof List<?> list) {
            if (list.size() != layers) {
                throw new IllegalArgumentException(c.source() + ": layer_types has " + list.size()
                        + " entries but num_hidden_layers is " + layers);
            }
            for (int i = 0; i < layers; i++) {
                Object type = list.get(i);
                if (!SLIDING.equals(type) && !FULL.equals(type)) {
                    throw new IllegalArgumentException(c.source() + ": layer_types[" + i + "] is '" + type
                            + "'; supported: " + SLIDING + ", " + FULL);
                }
                sliding[i] = SLIDING.equals(type);
            }
            return sliding;
        }
        int pattern = c.getInt(defaultPattern, "sliding_window_pattern", "_sliding_window_pattern");
        if (pattern <= 0) {
            throw new IllegalArgumentException(
                    c.source() + ": sliding_window_pattern must be positive, was " + pattern);
        }
        for (int i = 0; i < layers; i++) {
            sliding[i] = (i + 1) % pattern != 0;
        }
        return sliding;
    }
}
