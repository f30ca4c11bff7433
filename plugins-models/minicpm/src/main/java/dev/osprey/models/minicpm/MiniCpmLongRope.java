package dev.osprey.models.minicpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * MiniCPM's LongRoPE ({@code MiniCPMLongRoPE}): frequencies {@code theta^(-2i/D) / factor_i} and cos, sin times
 * {@code sqrt(1 + ln(max / original) / ln(original))}. Unlike transformers' longrope (Phi-3's), which picks the
 * short or long factors by the length of each pass, MiniCPM's code builds its cos/sin cache once for
 * {@code max_position_embeddings} positions: the long factors when that exceeds
 * {@code original_max_position_embeddings}, else the short ones, at every length up to it.
 */
final class MiniCpmLongRope implements RotaryEmbedding {

    private final RotaryEmbedding plain;
    private final float[] inverseFrequencies;
    private final double scale;

    /**
     * @param theta {@code rope_theta}
     * @param dim the head dimension D
     * @param maxPositions {@code max_position_embeddings}
     * @param originalMax {@code rope_scaling.original_max_position_embeddings}
     * @param shortFactor {@code rope_scaling.short_factor}, D/2 values
     * @param longFactor {@code rope_scaling.long_factor}, D/2 values
     */
    MiniCpmLongRope(
            double theta, int dim, int maxPositions, int originalMax, double[] shortFactor, double[] longFactor) {
        this.plain = Blocks.plainRope(theta, dim, maxPositions);
        double[] factors = maxPositions > originalMax ? longFactor : shortFactor;
        float[] base = plain.inverseFrequencies(maxPositions);
        inverseFrequencies = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            inverseFrequencies[i] = (float) (base[i] / factors[i]);
        }
        scale = Math.sqrt(1 + Math.log((double) maxPositions / originalMax) / Math.log(originalMax));
    }

    @Override
    public boolean dependsOnLength() {
        return false;
    }

    @Override
    public float[] inverseFrequencies(int length) {
        return inverseFrequencies.clone();
    }

    /** @return {cos, sin, rotation} as the plain embedding's, cos and sin times the LongRoPE scale */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] frequencies, DataType dataType) {
        NDArray[] tables = plain.cosSin(positions, frequencies, dataType);
        tables[0] = Scalars.mul(tables[0], scale); // (B, 1, T, D)
        tables[1] = Scalars.mul(tables[1], scale); // (B, 1, T, D)
        return tables;
    }

    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return plain.apply(x, cosSin);
    }
}
