package dev.osprey.models.glm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * ChatGLM's self-attention: grouped-query ("multi-query") attention whose q, k and v come from one
 * {@code query_key_value} with rows {@code [q: heads·D; k: groups·D; v: groups·D]} (D = {@code kv_channels}), the
 * output from {@code dense}; softmax(q·kᵀ / sqrt(D)). ChatGLM's {@code apply_query_key_layer_scaling} divides the
 * scores by the layer number and multiplies them back before the float32 softmax: the same numbers.
 */
final class ChatGlmAttention implements Attention {

    private final int heads;
    private final int groups;
    private final int headDim;
    private final Projection qkv;
    private final Projection dense;

    /**
     * @param module e.g. {@code transformer.encoder.layers.0.self_attention}
     * @param hidden the model width H
     * @param heads {@code num_attention_heads}
     * @param groups key/value heads: {@code multi_query_group_num}, or heads without multi-query attention
     * @param headDim {@code kv_channels}
     * @param qkvBias {@code add_qkv_bias}
     * @param denseBias {@code add_bias_linear}
     */
    ChatGlmAttention(
            Parameters p,
            String module,
            int hidden,
            int heads,
            int groups,
            int headDim,
            boolean qkvBias,
            boolean denseBias) {
        this.heads = heads;
        this.groups = groups;
        this.headDim = headDim;
        long q = (long) heads * headDim;
        qkv = p.linear(module + ".query_key_value", hidden, q + 2L * groups * headDim, qkvBias);
        dense = p.linear(module + ".dense", q, hidden, denseBias);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        long q = (long) heads * headDim;
        long kv = (long) groups * headDim;
        NDList parts = qkv.forward(x, adapter).split(new long[] {q, q + kv}, 2); // (B, T, q), (B, T, kv) × 2
        NDArray[] keysValues = context.remember(
                context.rotate(AttentionMath.byHead(parts.get(1), groups, headDim)),
                AttentionMath.byHead(parts.get(2), groups, headDim)); // each (B, groups, S, D)
        NDArray attended = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(parts.get(0), heads, headDim)), // (B, heads, T, D)
                keysValues[0],
                keysValues[1],
                context.bias(),
                (float) (1.0 / Math.sqrt(headDim))); // (B, T, heads·D)
        return dense.forward(attended, adapter); // (B, T, H)
    }
}
