package dev.osprey.models.llama;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * A rotary embedding whose queries are also scaled by position, Llama 4's attention temperature as Ministral 3
 * applies it after the rotation ({@code get_llama_4_attn_scale}): {@code 1 + beta · ln(1 + floor(position /
 * original_max_position_embeddings))}, so queries past the original context sharpen their softmax. Keys are
 * rotated only.
 *
 * @param rotation the rotary embedding itself (Ministral 3's YaRN)
 * @param beta {@code rope_parameters.llama_4_scaling_beta}
 * @param originalMaxPositions {@code rope_parameters.original_max_position_embeddings}
 */
record QueryTemperatureRope(RotaryEmbedding rotation, double beta, int originalMaxPositions)
        implements RotaryEmbedding {

    /**
     * {@code rotation} with the temperature {@code rope_parameters} names, or {@code rotation} itself when it
     * names no {@code llama_4_scaling_beta}.
     *
     * @throws IllegalArgumentException naming the config file when the beta comes without a positive
     *     {@code original_max_position_embeddings}
     */
    static RotaryEmbedding of(ModelConfig config, RotaryEmbedding rotation) {
        double beta = config.getDouble(0, "rope_parameters.llama_4_scaling_beta");
        if (beta == 0) {
            return rotation;
        }
        int original = config.getInt(0, "rope_parameters.original_max_position_embeddings");
        if (original <= 0) {
            throw new IllegalArgumentException(config.source() + ": rope_parameters.llama_4_scaling_beta needs a"
                    + " positive rope_parameters.original_max_position_embeddings, was " + original);
        }
        return new QueryTemperatureRope(rotation, beta, original);
    }

    @Override
    public boolean dependsOnLength() {
        return rotation.dependsOnLength();
    }

    @Override
    public float[] inverseFrequencies(int length) {
        return rotation.inverseFrequencies(length);
    }

    /** The rotation's tables, then the queries' scale (B, 1, T, 1) last. */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        NDArray[] tables = rotation.cosSin(positions, inverseFrequencies, dataType);
        // 1 + beta · ln(1 + floor(position / original)), in float32 as transformers computes it
        NDArray bands = Scalars.div(positions.toType(DataType.FLOAT32, false), originalMaxPositions)
                .floor(); // (B, T)
        NDArray scale = Scalars.add(Scalars.mul(Scalars.add(bands, 1).log(), beta), 1); // (B, T)
        NDArray[] out = Arrays.copyOf(tables, tables.length + 1);
        out[tables.length] = scale.toType(dataType, false).expandDims(1).expandDims(-1); // (B, 1, T, 1)
        return out;
    }

    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return rotation.apply(x, cosSin);
    }

    @Override
    public NDArray apply(int layer, NDArray x, NDArray[] cosSin) {
        return rotation.apply(layer, x, cosSin);
    }

    /** Rotated, then times the position's scale. */
    @Override
    public NDArray applyToQueries(int layer, NDArray x, NDArray[] cosSin) {
        return rotation.apply(layer, x, cosSin).mul(cosSin[cosSin.length - 1]); // (B, heads, T, D)
    }
}
