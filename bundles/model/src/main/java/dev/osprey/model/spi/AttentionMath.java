package dev.osprey.model.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/** The arithmetic attention blocks share: splitting heads and scaled dot-product attention with grouped keys. */
public final class AttentionMath {

    private AttentionMath() {}

    /**
     * Splits the features of each position into heads; a single position (decode) is a plain reshape.
     *
     * @param x (B, T, heads·D)
     * @return (B, heads, T, D)
     */
    public static NDArray byHead(NDArray x, int heads, int headDim) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        return t == 1
                ? x.reshape(b, heads, 1, headDim)
                : x.reshape(b, t, heads, headDim).transpose(0, 2, 1, 3);
    }

    /**
     * softmax(q·kᵀ·scale + bias)·v, each group of {@code heads / kvHeads} query heads sharing one key/value
     * head without copying the keys; the softmax in float32.
     *
     * @param query (B, heads, T, D)
     * @param key (B, kvHeads, S, D)
     * @param value (B, kvHeads, S, D)
     * @param bias additive, broadcasting against (B, kvHeads, group, T, S) (the context's {@link AttentionContext#bias()}
     *        plus a family's own, e.g. ALiBi), or null
     * @param scale what q·kᵀ is multiplied by (1 / sqrt(D) in most families)
     * @return (B, T, heads·D), the heads concatenated per position
     */
    public static NDArray attend(NDArray query, NDArray key, NDArray value, NDArray bias, float scale) {
        long b = query.getShape().get(0);
        int heads = Math.toIntExact(query.getShape().get(1));
        long t = query.getShape().get(2);
        long d = query.getShape().get(3);
        int kvHeads = Math.toIntExact(key.getShape().get(1));
        NDArray grouped = query.reshape(b, kvHeads, heads / kvHeads, t, d); // (B, kvHeads, group, T, D)
        NDArray k5 = key.expandDims(2); // (B, kvHeads, 1, S, D)
        NDArray v5 = value.expandDims(2); // (B, kvHeads, 1, S, D)
        NDArray scores = Scalars.mul(grouped.matMul(k5.transpose(0, 1, 2, 4, 3)), scale); // (B, kvHeads, group, T, S)
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(query.getDataType(), false);
        NDArray out = probs.matMul(v5); // (B, kvHeads, group, T, D)
        return t == 1
                ? out.reshape(b, 1, heads * d) // (B, 1, heads·D): one position needs no transpose
                : out.reshape(b, heads, t, d).transpose(0, 2, 1, 3).reshape(b, t, heads * d); // (B, T, heads·D)
    }
}
