package dev.osprey.align.loss;

import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;

/**
 * Direct Preference Optimization: follows TRL {@code trl/trainer/dpo_trainer.py}, {@code DPOTrainer.dpo_loss},
 * for the loss types {@code sigmoid} (with {@code label_smoothing}, the cDPO form), {@code ipo} and
 * {@code hinge}. Defaults as TRL's {@code DPOConfig}: beta 0.1, sigmoid, no label smoothing.
 *
 * <pre>
 * logits = (chosen - rejected) - (ref_chosen - ref_rejected)
 * sigmoid: -logsigmoid(beta*logits)*(1-ls) - logsigmoid(-beta*logits)*ls
 * hinge:   relu(1 - beta*logits)
 * ipo:     (logits - 1/(2*beta))^2          (TRL feeds IPO length-averaged logps: use LabelLogps.mean())
 * rewards  = beta * (policy - ref), detached
 * </pre>
 */
public final class DpoLoss {

    /** TRL's {@code loss_type} values implemented here. */
    public enum Type {
        SIGMOID,
        IPO,
        HINGE;

        /** The type for TRL's name ({@code sigmoid}, {@code ipo}, {@code hinge}). */
        public static Type parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown DPO loss_type '" + name + "'; one of sigmoid, ipo, hinge", e);
            }
        }
    }

    /** TRL's default beta. */
    public static final double DEFAULT_BETA = 0.1;

    private final double beta;
    private final Type type;
    private final double labelSmoothing;

    /** beta 0.1, sigmoid, no label smoothing. */
    public DpoLoss() {
        this(DEFAULT_BETA, Type.SIGMOID, 0.0);
    }

    public DpoLoss(double beta, Type type, double labelSmoothing) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("DPO beta must be > 0, got " + beta);
        }
        if (labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException("DPO label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        }
        if (labelSmoothing > 0 && type != Type.SIGMOID) {
            throw new IllegalArgumentException("label_smoothing applies to loss_type sigmoid only, not " + type);
        }
        this.beta = beta;
        this.type = type;
        this.labelSmoothing = labelSmoothing;
    }

    /**
     * @param chosen policy log-probabilities of the chosen completions (B)
     * @param rejected policy log-probabilities of the rejected completions (B)
     * @param refChosen reference log-probabilities of the chosen completions (B)
     * @param refRejected reference log-probabilities of the rejected completions (B)
     */
    public LossOutput compute(NDArray chosen, NDArray rejected, NDArray refChosen, NDArray refRejected) {
        LossMath.requireSameVector("DPO log-probabilities", chosen, rejected, refChosen, refRejected);
        NDArray logits = chosen.sub(rejected).sub(refChosen.sub(refRejected)); // (B)
        NDArray losses = switch (type) {
            case SIGMOID -> {
                NDArray scaled = Scalars.mul(logits, beta);
                NDArray l = Scalars.mul(LossMath.logSigmoid(scaled).neg(), 1 - labelSmoothing);
                yield labelSmoothing == 0 ? l : l.sub(Scalars.mul(LossMath.logSigmoid(scaled.neg()), labelSmoothing));
            }
            case HINGE -> Activation.relu(Scalars.add(Scalars.mul(logits, beta).neg(), 1));
            case IPO -> Scalars.sub(logits, 1 / (2 * beta)).square();
        };
        NDArray chosenRewards = Scalars.mul(chosen.sub(refChosen).stopGradient(), beta);
        NDArray rejectedRewards = Scalars.mul(rejected.sub(refRejected).stopGradient(), beta);
        return new LossOutput(
                losses.mean(), LossMath.preferenceMetrics(chosenRewards, rejectedRewards, chosen, rejected));
    }
}
