package dev.osprey.align.loss;

import java.util.LinkedHashMap;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;

/**
 * Kahneman-Tversky Optimization on unpaired desirable/undesirable examples: follows TRL
 * {@code trl/trainer/kto_trainer.py}, {@code KTOTrainer.kto_loss} (loss_type {@code kto}). Defaults as
 * {@code KTOConfig}: beta 0.1, desirable and undesirable weights 1.0.
 *
 * <pre>
 * kl       = clamp(mean(policy_KL - ref_KL), min=0), detached   (batch-level, from mismatched pairs)
 * chosen   = 1 - sigmoid(beta * ((policy_c - ref_c) - kl))
 * rejected = 1 - sigmoid(beta * (kl - (policy_r - ref_r)))
 * loss     = mean(cat(desirable_weight * chosen, undesirable_weight * rejected))
 * </pre>
 */
public final class KtoLoss {

    /** TRL's defaults. */
    public static final double DEFAULT_BETA = 0.1;

    private final double beta;
    private final double desirableWeight;
    private final double undesirableWeight;

    /** beta 0.1, both weights 1. */
    public KtoLoss() {
        this(DEFAULT_BETA, 1.0, 1.0);
    }

    public KtoLoss(double beta, double desirableWeight, double undesirableWeight) {
        if (!(beta > 0) || desirableWeight < 0 || undesirableWeight < 0) {
            throw new IllegalArgumentException("KTO needs beta > 0 and non-negative weights, got beta=" + beta
                    + ", desirable_weight=" + desirableWeight + ", undesirable_weight=" + undesirableWeight);
        }
        this.beta = beta;
        this.desirableWeight = desirableWeight;
        this.undesirableWeight = undesirableWeight;
    }

    /**
     * Either side may be empty (length 0), not both.
     *
     * @param chosen policy log-probabilities of the desirable completions (Nc)
     * @param rejected policy log-probabilities of the undesirable completions (Nr)
     * @param policyKl policy log-probabilities of the mismatched (prompt, other completion) pairs (N), or
     *        null to skip the KL term (TRL's {@code calculate_KL=False})
     * @param refChosen reference of {@code chosen} (Nc)
     * @param refRejected reference of {@code rejected} (Nr)
     * @param refKl reference of {@code policyKl} (N), or null with it
     */
    public LossOutput compute(
            NDArray chosen, NDArray rejected, NDArray policyKl, NDArray refChosen, NDArray refRejected, NDArray refKl) {
        LossMath.requireSameVector("KTO desirable log-probabilities", chosen, refChosen);
        LossMath.requireSameVector("KTO undesirable log-probabilities", rejected, refRejected);
        long nc = chosen.getShape().get(0);
        long nr = rejected.getShape().get(0);
        if (nc + nr == 0) {
            throw new IllegalArgumentException("KTO batch has neither desirable nor undesirable examples");
        }
        if ((policyKl == null) != (refKl == null)) {
            throw new IllegalArgumentException("KTO KL log-probabilities: give both policy and reference, or neither");
        }
        double kl = 0;
        if (policyKl != null) {
            LossMath.requireSameVector("KTO KL log-probabilities", policyKl, refKl);
            kl = Math.max(0, LossMath.mean(policyKl.sub(refKl))); // a constant: detached as in TRL
        }
        NDArray chosenLogratios = chosen.sub(refChosen); // (Nc)
        NDArray rejectedLogratios = rejected.sub(refRejected); // (Nr)
        NDArray chosenLosses = Scalars.add(
                Activation.sigmoid(Scalars.mul(Scalars.sub(chosenLogratios, kl), beta))
                        .neg(),
                1);
        NDArray rejectedLosses = Scalars.add(
                Activation.sigmoid(Scalars.mul(Scalars.add(rejectedLogratios.neg(), kl), beta))
                        .neg(),
                1);
        NDArray losses = Scalars.mul(chosenLosses, desirableWeight)
                .concat(Scalars.mul(rejectedLosses, undesirableWeight)); // (Nc+Nr)

        Map<String, Double> metrics = new LinkedHashMap<>();
        double chosenReward = nc > 0 ? beta * LossMath.mean(chosenLogratios) : Double.NaN;
        double rejectedReward = nr > 0 ? beta * LossMath.mean(rejectedLogratios) : Double.NaN;
        if (nc > 0) {
            metrics.put("rewards/chosen", chosenReward);
            metrics.put("logps/chosen", LossMath.mean(chosen));
        }
        if (nr > 0) {
            metrics.put("rewards/rejected", rejectedReward);
            metrics.put("logps/rejected", LossMath.mean(rejected));
        }
        if (nc > 0 && nr > 0) {
            metrics.put("rewards/margins", chosenReward - rejectedReward);
        }
        metrics.put("kl", kl);
        return new LossOutput(losses.mean(), metrics);
    }
}
