package dev.osprey.models.telechat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * TeleChat's attention: grouped-query attention with RoPE, q from {@code query}, k and v from one {@code key_value}
 * whose rows hold, for each key/value head h, its key then its value ({@code [k_h; v_h]}, head_dim rows each, as
 * TeleChat's own code views it: {@code (kvHeads, 2·D)} split in two; vLLM's telechat2.py de-interleaves it the
 * same way), and the output from {@code dense}, the only projection with a bias.
 */
final class TeleChatAttention implements Attention {

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final Projection query;
    private final Projection keyValue;
    private final Projection dense;

    /**
     * @param module e.g. {@code transformer.h.0.self_attention}
     * @param hidden the model width H (also heads · D)
     */
    TeleChatAttention(Parameters p, String module, int hidden, int heads, int kvHeads, int headDim) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        query = p.linear(module + ".query", hidden, (long) heads * headDim, false);
        keyValue = p.linear(module + ".key_value", hidden, 2L * kvHeads * headDim, false);
        dense = p.linear(module + ".dense", (long) heads * headDim, hidden, true);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray kv = keyValue.forward(x, adapter).reshape(b, t, kvHeads, 2, headDim); // (B, T, kvHeads, 2, D)
        NDArray key = kv.get(new NDIndex(":, :, :, 0")).transpose(0, 2, 1, 3); // (B, kvHeads, T, D)
        NDArray value = kv.get(new NDIndex(":, :, :, 1")).transpose(0, 2, 1, 3); // (B, kvHeads, T, D)
        NDArray[] keysValues = context.remember(context.rotate(key), value); // each (B, kvHeads, S, D)
        NDArray attended = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(query.forward(x, adapter), heads, headDim)), // (B, heads, T, D)
                keysValues[0],
                keysValues[1],
                context.bias(),
                (float) (1.0 / Math.sqrt(headDim))); // (B, T, heads·D)
        return dense.forward(attended, adapter); // (B, T, H)
    }
}
