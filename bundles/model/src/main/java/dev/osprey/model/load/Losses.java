package dev.osprey.model.load;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/** The losses Hugging Face models return. */
public final class Losses {

    /** Labels with this value are not predicted (padding, prompts), as in PyTorch's cross entropy. */
    public static final long IGNORE_INDEX = -100;

    private Losses() {}

    /**
     * The causal-LM loss of transformers' {@code ForCausalLMLoss}: logits at position t predict label t+1;
     * the mean negative log-likelihood over labels that are not {@link #IGNORE_INDEX}.
     *
     * @param logits (B, T, V)
     * @param labels (B, T) int64
     * @return a scalar; NaN when every label is ignored
     */
    public static NDArray causalLm(NDArray logits, NDArray labels) {
        NDArray loss;
        // the intermediates (the shifted view of the logits among them) go when the loss is made: autograd keeps
        // the log-probabilities it needs, and a caller that closes the logits then frees them for the backward pass
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long t = logits.getShape().get(1);
            NDArray shiftedLogits = logits.get(":, :{}, :", t - 1).toType(DataType.FLOAT32, false); // (B, T-1, V)
            NDArray shiftedLabels = labels.get(":, 1:").toType(DataType.INT64, false); // (B, T-1)
            NDArray valid = shiftedLabels.neq(IGNORE_INDEX); // (B, T-1)
            NDArray safeLabels = shiftedLabels.mul(valid.toType(DataType.INT64, false)); // ignored labels read index 0
            NDArray logProbs = shiftedLogits.logSoftmax(-1); // (B, T-1, V)
            NDArray picked = logProbs.gather(safeLabels.expandDims(-1), -1).squeeze(-1); // (B, T-1)
            NDArray validF = valid.toType(DataType.FLOAT32, false);
            loss = picked.mul(validF).sum().neg().div(validF.sum());
            NDScope.unregister(loss);
        }
        NDScope.register(loss);
        return loss;
    }
}
