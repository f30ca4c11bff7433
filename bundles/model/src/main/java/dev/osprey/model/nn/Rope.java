package dev.osprey.model.nn;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Rotary position embeddings with the scaling variants of Hugging Face's {@code ROPE_INIT_FUNCTIONS}:
 * {@code default}, {@code linear}, {@code dynamic} (NTK), {@code llama3} and {@code yarn}. The inverse
 * frequencies are computed once in Java (per length for {@code dynamic}); the rotation is on NDArrays.
 *
 * @param type the {@code rope_type}
 * @param theta the base ({@code rope_theta})
 * @param dim the rotated dimensions per head
 * @param factor the scaling factor (1 when unscaled)
 * @param maxPositions {@code max_position_embeddings}
 * @param originalMaxPositions {@code original_max_position_embeddings} (llama3, yarn), else {@code maxPositions}
 * @param lowFreqFactor llama3's {@code low_freq_factor}
 * @param highFreqFactor llama3's {@code high_freq_factor}
 * @param betaFast yarn's {@code beta_fast}
 * @param betaSlow yarn's {@code beta_slow}
 * @param attentionFactor what cos and sin are multiplied by (yarn's and longrope's mscale; 1 otherwise)
 * @param shortFactor longrope's per-frequency divisors within the original context, else null
 * @param longFactor longrope's per-frequency divisors beyond it, else null
 */
public record Rope(
        String type,
        double theta,
        int dim,
        double factor,
        int maxPositions,
        int originalMaxPositions,
        double lowFreqFactor,
        double highFreqFactor,
        double betaFast,
        double betaSlow,
        double attentionFactor,
        double[] shortFactor,
        double[] longFactor)
        implements RotaryEmbedding {

    public Rope {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("rotary dimension must be even and positive, was " + dim);
        }
        if (!Map.of("default", 1, "linear", 1, "dynamic", 1, "llama3", 1, "yarn", 1, "longrope", 1)
                .containsKey(type)) {
            throw new IllegalArgumentException("rope_type '" + type
                    + "' is not supported; supported: default, linear, dynamic, llama3, yarn, longrope");
        }
        if (type.equals("longrope")
                && (shortFactor == null
                        || longFactor == null
                        || shortFactor.length != dim / 2
                        || longFactor.length != dim / 2)) {
            throw new IllegalArgumentException(
                    "longrope needs short_factor and long_factor with " + dim / 2 + " values each");
        }
    }

    /** Unscaled rotary embeddings. */
    public static Rope plain(double theta, int dim, int maxPositions) {
        return new Rope("default", theta, dim, 1, maxPositions, maxPositions, 1, 4, 32, 1, 1, null, null);
    }

    /**
     * Reads {@code rope_theta} and {@code rope_scaling}, or the newer {@code rope_parameters} that holds
     * both, from a config.
     */
    public static Rope from(ModelConfig config, int headDim) {
        int dim = (int) (headDim * config.getDouble(1.0, "partial_rotary_factor"));
        double theta = config.getDouble(10000.0, "rope_theta", "rope_parameters.rope_theta");
        int maxPositions = config.getInt(2048, "max_position_embeddings");
        String scaling =
                config.get("rope_scaling").filter(Map.class::isInstance).isPresent()
                        ? "rope_scaling"
                        : "rope_parameters";
        String type = config.getString(scaling + ".rope_type", scaling + ".type")
                .orElse("default")
                .toLowerCase(Locale.ROOT);
        if (type.equals("su")) {
            type = "longrope"; // Phi-3's older name
        }
        double alpha = config.getDouble(0, scaling + ".alpha");
        if (type.equals("dynamic") && alpha > 0) {
            // HunYuan's NTK-alpha: one larger base for every length, instead of a base that grows with it
            theta = theta * Math.pow(alpha, headDim / (headDim - 2.0));
            type = "default";
        }
        double factor = config.getDouble(1.0, scaling + ".factor");
        int originalMax = config.getInt(
                maxPositions, scaling + ".original_max_position_embeddings", "original_max_position_embeddings");
        if (type.equals("longrope")) {
            factor = (double) maxPositions / originalMax;
        }
        double attentionFactor = config.getDouble(Double.NaN, scaling + ".attention_factor");
        double mscale = config.getDouble(0, scaling + ".mscale");
        double mscaleAllDim = config.getDouble(0, scaling + ".mscale_all_dim");
        if (Double.isNaN(attentionFactor) && type.equals("yarn") && mscale != 0 && mscaleAllDim != 0) {
            // transformers' ratio of the two (Ministral 3's equal ones give 1)
            attentionFactor = yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim);
        }
        if (Double.isNaN(attentionFactor)) {
            attentionFactor = type.equals("yarn") && factor > 1
                    ? yarnMscale(factor, 1)
                    : type.equals("longrope") && factor > 1
                            ? Math.sqrt(1 + Math.log(factor) / Math.log(originalMax))
                            : 1.0;
        }
        return new Rope(
                type,
                theta,
                dim,
                factor,
                maxPositions,
                originalMax,
                config.getDouble(1.0, scaling + ".low_freq_factor"),
                config.getDouble(4.0, scaling + ".high_freq_factor"),
                config.getDouble(32, scaling + ".beta_fast"),
                config.getDouble(1, scaling + ".beta_slow"),
                attentionFactor,
                doubles(config, scaling + ".short_factor"),
                doubles(config, scaling + ".long_factor"));
    }

    /** YaRN's {@code get_mscale}: 0.1 · mscale · ln(factor) + 1, or 1 for no stretch. */
    private static double yarnMscale(double factor, double mscale) {
        return factor <= 1 ? 1.0 : 0.1 * mscale * Math.log(factor) + 1.0;
    }

    private static double[] doubles(ModelConfig config, String key) {
        return config.get(key)
                .filter(List.class::isInstance)
                .map(v -> ((List<?>) v)
                        .stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray())
                .orElse(null);
    }

    /** Whether the frequencies change with the sequence length ({@code dynamic}, {@code longrope}). */
    @Override
    public boolean dependsOnLength() {
        return type.equals("dynamic") || type.equals("longrope");
    }

    /** The inverse frequencies, dim/2 of them, for sequences up to {@code length} tokens. */
    @Override
    public float[] inverseFrequencies(int length) {
        int half = dim / 2;
        double[] inv = new double[half];
        double base = theta;
        if (type.equals("dynamic") && length > maxPositions) {
            // NTK-aware: grow the base with the length
            base = theta * Math.pow(factor * length / maxPositions - (factor - 1), dim / (dim - 2.0));
        }
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
        }
        if (type.equals("longrope")) {
            double[] divisors = length > originalMaxPositions ? longFactor : shortFactor;
            for (int i = 0; i < half; i++) {
                inv[i] /= divisors[i];
            }
        }
        switch (type) {
            case "linear" -> scaleAll(inv, 1 / factor);
            case "llama3" -> llama3(inv);
            case "yarn" -> yarn(inv);
            default -> {}
        }
        float[] out = new float[half];
        for (int i = 0; i < half; i++) {
            out[i] = (float) inv[i];
        }
        return out;
    }

    private static void scaleAll(double[] inv, double s) {
        for (int i = 0; i < inv.length; i++) {
            inv[i] *= s;
        }
    }

    /** Llama 3.1: long wavelengths divided by the factor, short ones kept, a smooth blend between. */
    private void llama3(double[] inv) {
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) {
                inv[i] = inv[i] / factor;
            } else if (wavelen >= highWavelen) {
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
    }

    /** YaRN: interpolate low frequencies, extrapolate high ones, with a linear ramp between. */
    private void yarn(double[] inv) {
        double low = Math.max(Math.floor(correctionDim(betaFast)), 0);
        double high = Math.min(Math.ceil(correctionDim(betaSlow)), dim - 1);
        if (low == high) {
            high += 0.001; // avoid a division by zero in the ramp
        }
        for (int i = 0; i < inv.length; i++) {
            double extrapolation = inv[i];
            double interpolation = inv[i] / factor;
            double ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
            double extrapolationFactor = 1 - ramp;
            inv[i] = interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
        }
    }

    private double correctionDim(double rotations) {
        return dim * Math.log(originalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /**
     * cos and sin for these positions.
     *
     * @param positions (B, T) integer positions
     * @param inverseFrequencies from {@link #inverseFrequencies}, for the current length where they depend on it
     * @return {cos, sin, rotation}: cos and sin each (B, 1, T, dim) in {@code type}, and the (dim, dim)
     *         matrix R with x·R = (-x2, x1), which turns the half rotation into one product instead of
     *         four slicing operations (each output is one input times ±1, so the values are exact)
     */
    @Override
    public NDArray[] cosSin(NDArray positions, float[] inverseFrequencies, DataType dataType) {
        NDManager m = positions.getManager();
        NDArray inv = m.create(inverseFrequencies); // (dim/2)
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv); // (B, T, dim/2)
        NDArray emb = freqs.concat(freqs, -1); // (B, T, dim)
        NDArray cos = Scalars.mul(emb.cos(), attentionFactor).expandDims(1); // (B, 1, T, dim)
        NDArray sin = Scalars.mul(emb.sin(), attentionFactor).expandDims(1);
        return new NDArray[] {cos.toType(dataType, false), sin.toType(dataType, false), halfRotation(m, dataType)};
    }

    /** R (dim, dim) with x·R = (-x2, x1) for x = (x1, x2) split in halves. */
    private NDArray halfRotation(NDManager m, DataType dataType) {
        int half = dim / 2;
        float[] r = new float[dim * dim];
        for (int i = 0; i < half; i++) {
            r[(i + half) * dim + i] = -1f; // output i takes -x2[i]
            r[i * dim + i + half] = 1f; // output half + i takes x1[i]
        }
        return m.create(r, new Shape(dim, dim)).toType(dataType, false);
    }

    /**
     * Rotates the first {@code dim} features of each head; the rest pass through (partial rotary).
     *
     * @param x (B, heads, T, headDim)
     * @param cosSin from {@link #cosSin}
     */
    @Override
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        long headDim = x.getShape().getLastDimension();
        if (headDim == dim) {
            return x.mul(cosSin[0]).add(x.matMul(cosSin[2]).mul(cosSin[1]));
        }
        NDArray rotated = x.get(new NDIndex("..., :{}", dim)); // (B, heads, T, dim)
        NDArray passed = x.get(new NDIndex("..., {}:", dim)); // (B, heads, T, headDim - dim)
        return rotated.mul(cosSin[0])
                .add(rotated.matMul(cosSin[2]).mul(cosSin[1]))
                .concat(passed, -1);
    }
}
