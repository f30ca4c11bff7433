package dev.osprey.model;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.nn.Rope;

/** Tiny random decoders for tests: real math, a few thousand parameters. */
public final class TinyModels {

    private TinyModels() {}

    /** A Llama-shaped spec: 2 layers, width 32, 4 query heads over 2 key/value heads, vocabulary 64. */
    public static DecoderSpec llama() {
        return spec(false, false, 0);
    }

    /** {@link #llama} at another width: 4 query heads of {@code hidden / 4} over 2 key/value heads. */
    public static DecoderSpec llama(int hidden, int intermediate) {
        return spec(hidden, intermediate, false, false, 0);
    }

    public static DecoderSpec spec(boolean qkvBias, boolean qkNorm, int slidingWindow) {
        return spec(32, 48, qkvBias, qkNorm, slidingWindow);
    }

    private static DecoderSpec spec(int hidden, int intermediate, boolean qkvBias, boolean qkNorm, int slidingWindow) {
        int headDim = hidden / 4;
        return new DecoderSpec(
                64,
                hidden,
                intermediate,
                2,
                4,
                2,
                headDim,
                1e-6,
                Rope.plain(10000, headDim, 128),
                qkvBias,
                qkvBias,
                qkvBias,
                qkNorm,
                0f,
                1.0,
                "silu",
                slidingWindow,
                false,
                0.2,
                false,
                null);
    }

    public static DecoderModel build(NDManager manager, DecoderSpec spec, long seed) {
        return new DecoderModel(EMPTY_CONFIG, spec, manager, DataType.FLOAT32, seed);
    }

    /** A config with nothing in it; the spec carries the shape. */
    public static final ModelConfig EMPTY_CONFIG = new ModelConfig() {
        @Override
        public Path source() {
            return Path.of("config.json");
        }

        @Override
        public String modelType() {
            return "llama";
        }

        @Override
        public Optional<String> architecture() {
            return Optional.of("LlamaForCausalLM");
        }

        @Override
        public Optional<Object> get(String... keys) {
            return Optional.empty();
        }

        @Override
        public int requireInt(String... keys) {
            throw new IllegalArgumentException("missing " + keys[0]);
        }

        @Override
        public int getInt(int defaultValue, String... keys) {
            return defaultValue;
        }

        @Override
        public double requireDouble(String... keys) {
            throw new IllegalArgumentException("missing " + keys[0]);
        }

        @Override
        public double getDouble(double defaultValue, String... keys) {
            return defaultValue;
        }

        @Override
        public boolean getBoolean(boolean defaultValue, String... keys) {
            return defaultValue;
        }

        @Override
        public Optional<String> getString(String... keys) {
            return Optional.empty();
        }

        @Override
        public Map<String, Object> asMap() {
            return Map.of();
        }
    };
}
