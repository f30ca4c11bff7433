package dev.osprey.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.norm.Dropout;

import dev.osprey.api.engine.Scalars;

/**
 * One LoRA adapter on one linear layer, as PEFT defines it: {@code delta(x) = scaling · (x Aᵀ) Bᵀ} with
 * A (r, in), B (out, r) and {@code scaling = alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA.
 * Checkpoints that were trained with {@code fan_in_fan_out} store the transposes; they are turned
 * around once when loaded, so A and B here always have these shapes.
 *
 * <p>With a magnitude vector m (out) the adapter is DoRA (PEFT's {@code use_dora}): the adapted weight is
 * {@code m / ‖W + scaling·B A‖ · (W + scaling·B A)}, the norm taken per output row over the input
 * dimension and treated as a constant in the backward pass (detached, section 4.3 of the DoRA paper, as
 * PEFT does). The bias is not scaled.
 *
 * @param a (r, in)
 * @param b (out, r)
 * @param scaling the factor applied to the product
 * @param magnitude (out) DoRA's magnitude vector, or null for plain LoRA
 * @param dropout PEFT's {@code lora_dropout}: the probability of zeroing an input of the adapter's branch
 *        in a training pass ({@link TrainingMode}); the base layer's output is never dropped
 */
public record LoraWeights(NDArray a, NDArray b, double scaling, NDArray magnitude, float dropout) {

    public LoraWeights {
        if (a.getShape().dimension() != 2
                || b.getShape().dimension() != 2
                || a.getShape().get(0) != b.getShape().get(1)) {
            throw new IllegalArgumentException("LoRA A " + a.getShape() + " and B " + b.getShape()
                    + " do not fit: A must be (r, in) and B (out, r)");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), was " + dropout);
        }
        if (magnitude != null
                && (magnitude.getShape().dimension() != 1
                        || magnitude.getShape().get(0) != b.getShape().get(0))) {
            throw new IllegalArgumentException("DoRA magnitude " + magnitude.getShape() + " does not fit B "
                    + b.getShape() + ": it must be (out)");
        }
    }

    /** A plain LoRA adapter without dropout. */
    public LoraWeights(NDArray a, NDArray b, double scaling) {
        this(a, b, scaling, null, 0f);
    }

    /** A LoRA (magnitude null) or DoRA adapter without dropout. */
    public LoraWeights(NDArray a, NDArray b, double scaling, NDArray magnitude) {
        this(a, b, scaling, magnitude, 0f);
    }

    /** The same weights with {@code lora_dropout} set, for training. */
    public LoraWeights withDropout(float rate) {
        return new LoraWeights(a, b, scaling, magnitude, rate);
    }

    /** {@code alpha / r}, or {@code alpha / sqrt(r)} for rsLoRA, as PEFT computes it. */
    public static double scaling(double alpha, int rank, boolean rsLora) {
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    public boolean isDora() {
        return magnitude != null;
    }

    public long rank() {
        return a.getShape().get(0);
    }

    public long inFeatures() {
        return a.getShape().get(1);
    }

    public long outFeatures() {
        return b.getShape().get(0);
    }

    /** @param x (..., in) @return (..., out) */
    public NDArray delta(NDArray x) {
        if (dropout > 0 && TrainingMode.isTraining()) {
            x = Dropout.dropout(x, dropout, true).singletonOrThrow(); // (..., in), survivors scaled by 1/(1-p)
        }
        // the adapter computes in its own type (F32) over a half-precision base, as PEFT does; for inference
        // only: DJL's toType is not recorded by autograd
        NDArray h = Scalars.mul(
                x.toType(a.getDataType(), false).matMul(a.transpose()).matMul(b.transpose()),
                scaling); // (..., r) -> (..., out)
        return h.toType(x.getDataType(), false);
    }

    /** {@code scaling · B A}, (out, in): what merging adds to the base weight. */
    public NDArray deltaWeight() {
        return Scalars.mul(b.matMul(a), scaling);
    }

    /**
     * {@code ‖W + scaling·B A‖} per output row, without gradient (PEFT's {@code get_weight_norm}, detached).
     *
     * @param weight (out, in) the base weight
     * @return (out) in the weight's type
     */
    public NDArray weightNorm(NDArray weight) {
        return rowNorms(weight, a.stopGradient(), b.stopGradient(), scaling);
    }

    /**
     * DoRA's {@code m / ‖W + scaling·B A‖}: gradients reach m, not the norm.
     *
     * @param weight (out, in) the base weight
     * @return (out)
     */
    public NDArray magnitudeScale(NDArray weight) {
        return magnitude.toType(weight.getDataType(), false).div(weightNorm(weight));
    }

    /**
     * The weight with this adapter folded in: {@code W + scaling·B A} for LoRA, and for DoRA
     * {@code m / ‖W + scaling·B A‖ · (W + scaling·B A)}.
     *
     * @param weight (out, in)
     * @return (out, in) a new array in the weight's type
     */
    public NDArray mergedWeight(NDArray weight) {
        NDArray combined = weight.add(deltaWeight().toType(weight.getDataType(), false)); // (out, in)
        if (magnitude == null) {
            return combined;
        }
        return combined.mul(magnitudeScale(weight).expandDims(1)); // (out, in) * (out, 1)
    }

    /**
     * DoRA's initial magnitude, as PEFT sets it: the row norms of {@code W + scaling·B A} (just ‖W‖ while B
     * is zero), in F32 and without gradient.
     *
     * @param weight (out, in)
     * @return (out) F32
     */
    public static NDArray initialMagnitude(NDArray weight, NDArray a, NDArray b, double scaling) {
        return rowNorms(weight.toType(DataType.FLOAT32, false), a.stopGradient(), b.stopGradient(), scaling);
    }

    private static NDArray rowNorms(NDArray weight, NDArray a, NDArray b, double scaling) {
        NDArray combined = weight.add(Scalars.mul(b.matMul(a), scaling)
                .toType(weight.getDataType(), false)); // (out, r) x (r, in) -> (out, in)
        return combined.square().sum(new int[] {1}).sqrt().stopGradient(); // (out)
    }
}
