package dev.osprey.model.spi;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;

/**
 * Grouped-query attention with RoPE whose q and k are normed over the whole projection ({@code q_norm} over
 * heads·D features, {@code k_norm} over kvHeads·D), not per head as {@link QkNorms} are, and then, with v,
 * clamped to {@code [-clip_qkv, clip_qkv]} when asked; both before the heads split (OLMoE, MiniMax-M2).
 */
public final class ProjectionNormedAttention implements Attention {

    private final AttentionSpec spec;
    private final float clip;
    private final Projection q;
    private final Projection k;
    private final Projection v;
    private final Projection o;
    private final Norm queryNorm;
    private final Norm keyNorm;

    /**
     * @param module the attention's module name, e.g. {@code model.layers.0.self_attn}
     * @param hidden the model width H
     * @param spec heads, key/value heads, head size and biases
     * @param norm the kind of the q and k norms
     * @param clip the clamp ({@code clip_qkv}), or 0 for none
     */
    public ProjectionNormedAttention(
            Parameters p, String module, int hidden, AttentionSpec spec, NormFactory norm, double clip) {
        this.spec = spec;
        this.clip = (float) clip;
        long qOut = (long) spec.heads() * spec.headDim();
        long kvOut = (long) spec.kvHeads() * spec.headDim();
        q = p.linear(module + ".q_proj", hidden, qOut, spec.qkvBias());
        k = p.linear(module + ".k_proj", hidden, kvOut, spec.qkvBias());
        v = p.linear(module + ".v_proj", hidden, kvOut, spec.qkvBias());
        o = p.linear(module + ".o_proj", qOut, hidden, spec.outputBias());
        queryNorm = norm.create(p, module + ".q_norm", qOut);
        keyNorm = norm.create(p, module + ".k_norm", kvOut);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        int d = spec.headDim();
        NDArray query = clamped(queryNorm.forward(q.forward(x, adapter))); // (B, T, heads·D)
        NDArray key = clamped(keyNorm.forward(k.forward(x, adapter))); // (B, T, kvHeads·D)
        NDArray value = clamped(v.forward(x, adapter)); // (B, T, kvHeads·D)
        NDArray[] kv = context.remember(
                context.rotate(AttentionMath.byHead(key, spec.kvHeads(), d)),
                AttentionMath.byHead(value, spec.kvHeads(), d)); // each (B, kvHeads, S, D)
        NDArray out = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(query, spec.heads(), d)), // (B, heads, T, D)
                kv[0],
                kv[1],
                context.bias(),
                (float) (1.0 / Math.sqrt(d))); // (B, T, heads·D)
        return o.forward(out, adapter);
    }

    /** @param x (B, T, n·D) @return x clamped to [-clip, clip] (the gradient is 0 where it was clamped) */
    private NDArray clamped(NDArray x) {
        return clip > 0 ? Scalars.clip(x, -clip, clip) : x;
    }
}
