package dev.osprey.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * One LoRA adapter on one linear layer, as PEFT defines it: {@code delta(x) = scaling · (x Aᵀ) Bᵀ} with
 * A (r, in), B (out, r) and {@code scaling = alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA.
 * Checkpoints that were trained with {@code fan_in_fan_out} store the transposes; they are turned
 * around once when loaded, so A and B here always have these shapes.
 *
 * @param a (r, in)
 * @param b (out, r)
 * @param scaling the factor applied to the product
 */
public record LoraWeights(NDArray a, NDArray b, double scaling) {

    public LoraWeights {
        if (a.getShape().dimension() != 2 || b.getShape().dimension() != 2 || a.getShape().get(0) != b.getShape().get(1)) {
            throw new IllegalArgumentException("LoRA A " + a.getShape() + " and B " + b.getShape()
                    + " do not fit: A must be (r, in) and B (out, r)");
        }
    }

    /** {@code alpha / r}, or {@code alpha / sqrt(r)} for rsLoRA, as PEFT computes it. */
    public static double scaling(double alpha, int rank, boolean rsLora) {
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
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
        return x.matMul(a.transpose()).matMul(b.transpose()).mul(scaling); // (..., r) -> (..., out)
    }

    /** {@code scaling · B A}, (out, in): what merging adds to the base weight. */
    public NDArray deltaWeight() {
        return b.matMul(a).mul(scaling);
    }
}
