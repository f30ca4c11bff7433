package dev.osprey.model.nn;

import java.util.Locale;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * One vector per sequence from a decoder's last hidden states (B, T, H) and the attention mask (B, T):
 * the last real token (transformers' {@code *ForSequenceClassification}, Qwen3-Embedding, GTE-Qwen2), or the
 * mean over the real tokens; either padding side. Differentiable in the hidden states.
 */
public enum Pooling {
    /** The hidden state of each row's last token whose mask is 1. */
    LAST,
    /** The mean of the hidden states of each row's real tokens. */
    MEAN;

    /** {@code last} (also {@code last_token}, {@code lasttoken}) or {@code mean}. */
    public static Pooling of(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("_", "")) {
            case "last", "lasttoken" -> LAST;
            case "mean" -> MEAN;
            default -> throw new IllegalArgumentException("pooling must be last or mean, was '" + name + "'");
        };
    }

    /** (B, T, H) and mask (B, T) to (B, H), in the hidden states' type. */
    public NDArray pool(NDArray hidden, NDArray mask) {
        NDArray real = mask.toType(hidden.getDataType(), false); // (B, T)
        if (this == MEAN) {
            NDArray sum = hidden.mul(real.expandDims(-1)).sum(new int[] {1}); // (B, H)
            return sum.div(real.sum(new int[] {1}, true)); // (B, H) / (B, 1)
        }
        long t = hidden.getShape().get(1);
        NDArray positions = hidden.getManager()
                .arange(0, (int) t)
                .toType(DataType.INT64, false)
                .expandDims(0); // (1, T)
        // the last position whose mask is 1: the largest of position * mask (right or left padding alike)
        NDArray last = positions.mul(mask.toType(DataType.INT64, false)).argMax(1); // (B)
        NDArray pick = positions.eq(last.expandDims(1)).toType(hidden.getDataType(), false); // (B, T)
        return hidden.mul(pick.expandDims(-1)).sum(new int[] {1}); // (B, T, H) * (B, T, 1) -> (B, H)
    }

    /** Each row divided by its L2 norm (torch's {@code F.normalize(x, p=2, dim=-1)}, eps 1e-12). (B, H) */
    public static NDArray normalize(NDArray x) {
        NDArray norm = Scalars.maximum(x.square().sum(new int[] {-1}, true).sqrt(), 1e-12); // (B, 1)
        return x.div(norm);
    }
}
