package dev.osprey.align.loss;

import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;

/**
 * Contrastive Preference Optimization and SimPO, which TRL implements in one trainer: follows
 * {@code trl/trainer/cpo_trainer.py}, {@code CPOTrainer.cpo_loss} and {@code get_batch_loss_metrics}.
 * Reference-free. Defaults as {@code CPOConfig}: beta 0.1, sigmoid, cpo_alpha 1.0, simpo_gamma 0.5.
 *
 * <pre>
 * logits = chosen - rejected                      (simpo: minus simpo_gamma / beta)
 * sigmoid/simpo: -logsigmoid(beta*logits)*(1-ls) - logsigmoid(-beta*logits)*ls
 * hinge: relu(1 - beta*logits);  ipo: (logits - 1/(2*beta))^2
 * loss   = mean(losses) + cpo_alpha * nll(chosen)
 * rewards = beta * policy logps, detached
 * </pre>
 * SimPO and IPO compare length-averaged log-probabilities ({@link LabelLogps#mean()}), the others summed
 * ones. {@link #simpo()} gives SimPO's beta 2.0 (ms-swift's default for {@code --rlhf_type simpo});
 * {@code cpo_alpha = 0} is pure SimPO, above 0 is CPO-SimPO.
 */
public final class CpoLoss {

    /** TRL's {@code loss_type} values implemented here. */
    public enum Type {
        SIGMOID,
        HINGE,
        IPO,
        SIMPO;

        /** The type for TRL's name. */
        public static Type parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown CPO loss_type '" + name + "'; one of sigmoid, hinge, ipo, simpo", e);
            }
        }
    }

    public static final double DEFAULT_BETA = 0.1;
    public static final double DEFAULT_CPO_ALPHA = 1.0;
    public static final double DEFAULT_SIMPO_GAMMA = 0.5;
    /** SimPO's beta (the paper's and ms-swift's default). */
    public static final double SIMPO_BETA = 2.0;

    private final double beta;
    private final Type type;
    private final double labelSmoothing;
    private final double cpoAlpha;
    private final double simpoGamma;

    /** CPO as TRL's defaults: beta 0.1, sigmoid, cpo_alpha 1.0. */
    public CpoLoss() {
        this(DEFAULT_BETA, Type.SIGMOID, 0.0, DEFAULT_CPO_ALPHA, DEFAULT_SIMPO_GAMMA);
    }

    /** SimPO with beta 2.0, simpo_gamma 0.5 and the given NLL weight (0 for pure SimPO). */
    public static CpoLoss simpo(double cpoAlpha) {
        return new CpoLoss(SIMPO_BETA, Type.SIMPO, 0.0, cpoAlpha, DEFAULT_SIMPO_GAMMA);
    }

    public CpoLoss(double beta, Type type, double labelSmoothing, double cpoAlpha, double simpoGamma) {
        if (!(beta > 0) || cpoAlpha < 0 || labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException(
                    "CPO needs beta > 0, cpo_alpha >= 0, label_smoothing in [0, 0.5); got beta=" + beta + ", cpo_alpha="
                            + cpoAlpha + ", label_smoothing=" + labelSmoothing);
        }
        this.beta = beta;
        this.type = type;
        this.labelSmoothing = labelSmoothing;
        this.cpoAlpha = cpoAlpha;
        this.simpoGamma = simpoGamma;
    }

    /**
     * @param chosen policy log-probabilities of the chosen completions (B); averaged for simpo/ipo
     * @param rejected policy log-probabilities of the rejected completions (B)
     * @param chosenNll token-mean NLL of the chosen completions, a scalar ({@link LabelLogps#nll()}); may be
     *        null when cpo_alpha is 0
     */
    public LossOutput compute(NDArray chosen, NDArray rejected, NDArray chosenNll) {
        LossMath.requireSameVector("CPO log-probabilities", chosen, rejected);
        NDArray logits = chosen.sub(rejected); // (B)
        if (type == Type.SIMPO) {
            logits = Scalars.sub(logits, simpoGamma / beta);
        }
        NDArray losses = switch (type) {
            case SIGMOID, SIMPO -> {
                NDArray scaled = Scalars.mul(logits, beta);
                NDArray l = Scalars.mul(LossMath.logSigmoid(scaled).neg(), 1 - labelSmoothing);
                yield labelSmoothing == 0 ? l : l.sub(Scalars.mul(LossMath.logSigmoid(scaled.neg()), labelSmoothing));
            }
            case HINGE -> Activation.relu(Scalars.add(Scalars.mul(logits, beta).neg(), 1));
            case IPO -> Scalars.sub(logits, 1 / (2 * beta)).square();
        };
        NDArray loss = losses.mean();
        if (cpoAlpha != 0) {
            if (chosenNll == null) {
                throw new IllegalArgumentException("CPO with cpo_alpha " + cpoAlpha + " needs the chosen NLL");
            }
            loss = loss.add(Scalars.mul(chosenNll, cpoAlpha));
        }
        Map<String, Double> metrics = LossMath.preferenceMetrics(
                Scalars.mul(chosen.stopGradient(), beta), Scalars.mul(rejected.stopGradient(), beta), chosen, rejected);
        if (chosenNll != null) {
            metrics.put("nll_loss", LossMath.mean(chosenNll));
        }
        return new LossOutput(loss, metrics);
    }
}
