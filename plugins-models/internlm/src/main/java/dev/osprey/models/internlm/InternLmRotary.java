package dev.osprey.models.internlm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * InternLM (v1)'s rotary embedding, configured by its own {@code rotary} field ({@code base}, {@code type}
 * {@code origin} or {@code dynamic}, {@code scaling_factor}) rather than {@code rope_theta}/{@code rope_scaling}.
 * {@code dynamic} is NTK scaling as in transformers' Llama: past {@code max_position_embeddings} the base
 * becomes {@code base·(f·L/max − (f − 1))^(D/(D−2))} for L positions; the tables and the rotation are the
 * platform's.
 */
final class InternLmRotary implements RotaryEmbedding {

    private final RotaryEmbedding plain;
    private final double base;
    private final int dim;
    private final int maxPositions;
    private final double factor;
    private final boolean dynamic;

    private InternLmRotary(double base, int dim, int maxPositions, double factor, boolean dynamic) {
        this.plain = Blocks.plainRope(base, dim, maxPositions);
        this.base = base;
        this.dim = dim;
        this.maxPositions = maxPositions;
        this.factor = factor;
        this.dynamic = dynamic;
    }

    /**
     * The rotary embedding of an InternLM config: its {@code rotary} field when present, else the usual fields.
     *
     * @throws IllegalArgumentException naming {@code rotary.type} when it is neither origin nor dynamic
     */
    static RotaryEmbedding from(ModelConfig c, int headDim) {
        if (c.get("rotary").isEmpty()) {
            return Blocks.rope(c, headDim);
        }
        String type = c.getString("rotary.type").orElse("origin");
        if (!type.equals("origin") && !type.equals("dynamic")) {
            throw new IllegalArgumentException(
                    c.source() + ": rotary.type '" + type + "' is not supported; supported: origin, dynamic");
        }
        double factor = c.getDouble(1.0, "rotary.scaling_factor");
        if (!(factor >= 1)) {
            throw new IllegalArgumentException(
                    c.source() + ": rotary.scaling_factor must be at least 1, was " + factor);
        }
        return new InternLmRotary(
                c.getDouble(10000.0, "rotary.base"),
                headDim,
                c.getInt(2048, "max_position_embeddings"),
                factor,
                type.equals("dynamic"));
    }

    @Override
    public boolean dependsOnLength() {
        return dynamic;
    }

    @Override
    public float[] inverseFrequencies(int length) {
        double b = dynamic && length > maxPositions
                ? base * Math.pow(factor * length / maxPositions - (factor - 1), dim / (dim - 2.0))
                : base;
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) (1.0 / Math.pow(b, 2.0 * i / dim));
        }
        return inv;
    }

    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        return plain.cosSin(positions, inverseFrequencies, dataType);
    }

    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        return plain.apply(x, cosSin);
    }
}
