package dev.osprey.models.qwen1;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Qwen-1's attention: multi-head attention (no grouped keys) with RoPE, q, k and v from one {@code c_attn}
 * (rows {@code [q; k; v]}, always with a bias) and the output from {@code c_proj} (a bias only when
 * {@code no_bias} is false); softmax(q·kᵀ / sqrt(kv_channels)).
 */
final class Qwen1Attention implements Attention {

    private final int heads;
    private final int headDim;
    private final Projection qkv;
    private final Projection out;

    /**
     * @param module the attention's module name, e.g. {@code transformer.h.0.attn}
     * @param hidden the model width H
     * @param heads {@code num_attention_heads}
     * @param headDim {@code kv_channels}
     * @param outputBias a bias on {@code c_proj} ({@code !no_bias})
     */
    Qwen1Attention(Parameters p, String module, int hidden, int heads, int headDim, boolean outputBias) {
        this.heads = heads;
        this.headDim = headDim;
        long projection = (long) heads * headDim;
        qkv = p.linear(module + ".c_attn", hidden, 3 * projection, true);
        out = p.linear(module + ".c_proj", projection, hidden, outputBias);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        NDList parts = qkv.forward(x, adapter).split(3, 2); // 3 × (B, T, heads·D): q, k, v in c_attn's row order
        NDArray[] kv = context.remember(
                context.rotate(AttentionMath.byHead(parts.get(1), heads, headDim)),
                AttentionMath.byHead(parts.get(2), heads, headDim)); // each (B, heads, S, D)
        NDArray attended = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(parts.get(0), heads, headDim)), // (B, heads, T, D)
                kv[0],
                kv[1],
                context.bias(),
                (float) (1.0 / Math.sqrt(headDim))); // (B, T, heads·D)
        return out.forward(attended, adapter); // (B, T, H)
    }
}
