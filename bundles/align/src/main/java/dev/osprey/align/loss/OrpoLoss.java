package dev.osprey.align.loss;

import java.util.Map;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;

/**
 * Odds Ratio Preference Optimization: follows TRL {@code trl/trainer/orpo_trainer.py},
 * {@code ORPOTrainer.odds_ratio_loss} and {@code get_batch_loss_metrics}. Reference-free; compares
 * length-averaged log-probabilities ({@link LabelLogps#mean()}). Default beta (the paper's lambda) 0.1 as
 * {@code ORPOConfig}.
 *
 * <pre>
 * log_odds = (c - r) - (log(1 - exp(c)) - log(1 - exp(r)))
 * ratio    = logsigmoid(log_odds)
 * loss     = nll(chosen) - beta * mean(ratio)
 * rewards  = beta * policy logps, detached
 * </pre>
 */
public final class OrpoLoss {

    public static final double DEFAULT_BETA = 0.1;

    private final double beta;

    public OrpoLoss() {
        this(DEFAULT_BETA);
    }

    public OrpoLoss(double beta) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("ORPO beta (lambda) must be > 0, got " + beta);
        }
        this.beta = beta;
    }

    /**
     * @param chosen length-averaged policy log-probabilities of the chosen completions (B), each < 0
     * @param rejected the same for the rejected completions (B)
     * @param chosenNll token-mean NLL of the chosen completions, a scalar ({@link LabelLogps#nll()})
     */
    public LossOutput compute(NDArray chosen, NDArray rejected, NDArray chosenNll) {
        LossMath.requireSameVector("ORPO log-probabilities", chosen, rejected);
        NDArray logOdds = chosen.sub(rejected).sub(log1mExp(chosen).sub(log1mExp(rejected))); // (B)
        NDArray ratio = LossMath.logSigmoid(logOdds); // (B)
        NDArray loss = chosenNll.sub(Scalars.mul(ratio.mean(), beta));
        Map<String, Double> metrics = LossMath.preferenceMetrics(
                Scalars.mul(chosen.stopGradient(), beta), Scalars.mul(rejected.stopGradient(), beta), chosen, rejected);
        metrics.put("nll_loss", LossMath.mean(chosenNll));
        metrics.put("log_odds_ratio", LossMath.mean(ratio));
        metrics.put("log_odds_chosen", LossMath.mean(logOdds));
        return new LossOutput(loss, metrics);
    }

    /** log(1 - exp(x)) for x < 0 (torch.log1p(-torch.exp(x))). */
    private static NDArray log1mExp(NDArray x) {
        return Scalars.add(x.exp().neg(), 1).log();
    }
}
