package dev.osprey.models.deepseek;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * DeepSeek's YaRN: the YaRN frequencies over {@code qk_rope_head_dim} features, with cos and sin scaled by
 * {@code mscale(factor, mscale) / mscale(factor, mscale_all_dim)} when both are given (1 in DeepSeek's own
 * checkpoints), as transformers computes it. The platform's YaRN ({@link Blocks#rope}) takes the same ratio since
 * Ministral 3 needed it; this class predates that and could now give way to it. Other rope types are the
 * platform's.
 */
final class DeepseekRope implements RotaryEmbedding {

    private final float[] inverseFrequencies;
    private final float attentionFactor;

    private DeepseekRope(float[] inverseFrequencies, float attentionFactor) {
        this.inverseFrequencies = inverseFrequencies;
        this.attentionFactor = attentionFactor;
    }

    /** The rotary embedding of {@code dim} ({@code qk_rope_head_dim}) features the config describes. */
    static RotaryEmbedding from(ModelConfig c, int dim) {
        String scaling = MultiHeadLatentAttention.ropeScalingKey(c);
        String type = c.getString(scaling + ".rope_type", scaling + ".type").orElse("default");
        if (!type.equals("yarn")) {
            return Blocks.rope(c, dim);
        }
        double theta = c.getDouble(10000.0, "rope_theta", scaling + ".rope_theta", "rope_parameters.rope_theta");
        int maxPositions = c.getInt(2048, "max_position_embeddings");
        int originalMax = c.getInt(
                maxPositions, scaling + ".original_max_position_embeddings", "original_max_position_embeddings");
        double factor = c.getDouble((double) maxPositions / originalMax, scaling + ".factor");
        double mscale = c.getDouble(0, scaling + ".mscale");
        double mscaleAllDim = c.getDouble(0, scaling + ".mscale_all_dim");
        double attentionFactor = c.getDouble(
                mscale != 0 && mscaleAllDim != 0
                        ? mscale(factor, mscale) / mscale(factor, mscaleAllDim)
                        : mscale(factor, 1),
                scaling + ".attention_factor");
        double betaFast = c.getDouble(32, scaling + ".beta_fast");
        double betaSlow = c.getDouble(1, scaling + ".beta_slow");
        boolean truncate = c.getBoolean(true, scaling + ".truncate");
        double low = correctionDim(betaFast, dim, theta, originalMax);
        double high = correctionDim(betaSlow, dim, theta, originalMax);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // as transformers: no division by zero in the ramp
        }
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            double extrapolation = 1 / Math.pow(theta, 2.0 * i / dim);
            double interpolation = extrapolation / factor;
            double extrapolationWeight = 1 - Math.min(Math.max((i - low) / (high - low), 0), 1);
            inv[i] = (float) (interpolation * (1 - extrapolationWeight) + extrapolation * extrapolationWeight);
        }
        return new DeepseekRope(inv, (float) attentionFactor);
    }

    /** YaRN's {@code 0.1 · mscale · ln(scale) + 1} (1 when not scaled up). */
    static double mscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    private static double correctionDim(double rotations, int dim, double theta, int originalMax) {
        return dim * Math.log(originalMax / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    @Override
    public boolean dependsOnLength() {
        return false;
    }

    @Override
    public float[] inverseFrequencies(int length) {
        return inverseFrequencies;
    }

    /** @return cos and sin, each (B, 1, T, dim), both halves holding the same angles */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverse, DataType dataType) {
        NDManager m = positions.getManager();
        NDArray freqs =
                positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(m.create(inverse)); // (B, T, dim/2)
        NDArray emb = freqs.concat(freqs, -1); // (B, T, dim)
        NDArray cos = Scalars.mul(emb.cos(), attentionFactor).expandDims(1); // (B, 1, T, dim)
        NDArray sin = Scalars.mul(emb.sin(), attentionFactor).expandDims(1); // (B, 1, T, dim)
        return new NDArray[] {cos.toType(dataType, false), sin.toType(dataType, false)};
    }

    /** x·cos + rotateHalf(x)·sin. @param x (B, heads, T, dim) @return (B, heads, T, dim) */
    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        long half = x.getShape().getLastDimension() / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half)); // (B, heads, T, dim/2)
        NDArray x2 = x.get(new NDIndex("..., {}:", half)); // (B, heads, T, dim/2)
        NDArray rotated = x2.neg().concat(x1, -1); // (B, heads, T, dim): (-x2, x1)
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }
}
