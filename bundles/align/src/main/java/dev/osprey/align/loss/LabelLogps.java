package dev.osprey.align.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * Log-probabilities of label tokens under a model's logits, with {@value #IGNORE_INDEX} labels masked out;
 * TRL's {@code get_batch_logps} (dpo/cpo/orpo trainers) and {@code selective_log_softmax} (grpo).
 *
 * <p>Holds the per-token values {@code (B, T)} (0 where masked) and the mask {@code (B, T)}; {@link #sum()}
 * and {@link #mean()} reduce per sequence, {@link #nll()} is the token-mean cross-entropy of the whole batch.
 */
public final class LabelLogps {

    /** The label of positions that carry no loss (prompt, padding), as in Hugging Face. */
    public static final int IGNORE_INDEX = -100;

    private final NDArray perToken;
    private final NDArray mask;

    private LabelLogps(NDArray perToken, NDArray mask) {
        this.perToken = perToken;
        this.mask = mask;
    }

    /**
     * Logits at position t score the label at position t (already aligned).
     *
     * @param logits (B, T, V), any float type
     * @param labels (B, T) integer token ids, {@value #IGNORE_INDEX} where no loss is taken
     */
    public static LabelLogps of(NDArray logits, NDArray labels) {
        if (logits.getShape().dimension() != 3
                || labels.getShape().dimension() != 2
                || logits.getShape().get(0) != labels.getShape().get(0)
                || logits.getShape().get(1) != labels.getShape().get(1)) {
            throw new IllegalArgumentException("logits must be (B, T, V) and labels (B, T); got " + logits.getShape()
                    + " and " + labels.getShape());
        }
        NDArray ignored = labels.eq(IGNORE_INDEX); // (B, T)
        // gather needs a valid index everywhere; masked positions are zeroed afterwards
        NDArray safe = NDArrays.where(ignored, labels.zerosLike(), labels).toType(DataType.INT64, false);
        NDArray logProbs = logits.logSoftmax(-1); // (B, T, V)
        NDArray picked = logProbs.gather(safe.expandDims(-1), 2).squeeze(-1); // (B, T, 1) -> (B, T)
        NDArray mask = ignored.logicalNot().toType(logits.getDataType(), false); // (B, T)
        return new LabelLogps(picked.mul(mask), mask);
    }

    /**
     * For a causal LM whose labels are the input ids: logits at t predict the token at t + 1, so drop the
     * last logit and the first label, as TRL does before gathering.
     *
     * @param logits (B, T, V)
     * @param labels (B, T)
     */
    public static LabelLogps ofCausal(NDArray logits, NDArray labels) {
        return of(logits.get(":, :-1, :"), labels.get(":, 1:")); // (B, T-1, V), (B, T-1)
    }

    /** Per-token log-probabilities (B, T), 0 where masked. */
    public NDArray perToken() {
        return perToken;
    }

    /** 1 where a label counts, 0 where it is {@value #IGNORE_INDEX}; (B, T) in the logits' type. */
    public NDArray mask() {
        return mask;
    }

    /** Summed log-probability per sequence (B): what DPO, KTO and CPO compare. */
    public NDArray sum() {
        return perToken.sum(new int[] {1});
    }

    /**
     * Length-normalised log-probability per sequence (B): what IPO, SimPO and ORPO compare. A sequence
     * with no counted token gives 0 instead of TRL's NaN.
     */
    public NDArray mean() {
        return sum().div(Scalars.maximum(mask.sum(new int[] {1}), 1));
    }

    /** Mean negative log-likelihood over every counted token of the batch (torch CrossEntropyLoss). */
    public NDArray nll() {
        return perToken.sum().neg().div(Scalars.maximum(mask.sum(), 1));
    }
}
