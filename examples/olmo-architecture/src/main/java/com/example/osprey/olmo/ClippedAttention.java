package com.example.osprey.olmo;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * OLMo's attention: grouped-query attention with RoPE whose q, k and v projections are clamped to
 * {@code [-clip, clip]} before the heads are split, which kept OLMo's training stable.
 */
final class ClippedAttention implements Attention {

    private final AttentionSpec spec;
    private final float clip;
    private final Projection q;
    private final Projection k;
    private final Projection v;
    private final Projection o;

    /**
     * @param module the attention's module name, e.g. {@code model.layers.0.self_attn}
     * @param hidden the model width H
     * @param spec heads, key/value heads, head size and biases
     * @param clip the clamp, or 0 for none
     */
    ClippedAttention(Parameters p, String module, int hidden, AttentionSpec spec, double clip) {
        this.spec = spec;
        this.clip = (float) clip;
        long qOut = (long) spec.heads() * spec.headDim();
        long kvOut = (long) spec.kvHeads() * spec.headDim();
        q = p.linear(module + ".q_proj", hidden, qOut, spec.qkvBias());
        k = p.linear(module + ".k_proj", hidden, kvOut, spec.qkvBias());
        v = p.linear(module + ".v_proj", hidden, kvOut, spec.qkvBias());
        o = p.linear(module + ".o_proj", qOut, hidden, spec.outputBias());
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        int d = spec.headDim();
        NDArray query = AttentionMath.byHead(clamped(q.forward(x, adapter)), spec.heads(), d); // (B, heads, T, D)
        NDArray key = AttentionMath.byHead(clamped(k.forward(x, adapter)), spec.kvHeads(), d); // (B, kvHeads, T, D)
        NDArray value = AttentionMath.byHead(clamped(v.forward(x, adapter)), spec.kvHeads(), d); // (B, kvHeads, T, D)
        NDArray[] kv = context.remember(context.rotate(key), value); // each (B, kvHeads, S, D)
        NDArray out = AttentionMath.attend(
                context.rotate(query), kv[0], kv[1], context.bias(), (float) (1.0 / Math.sqrt(d))); // (B, T, heads·D)
        return o.forward(out, adapter);
    }

    /** @param x (B, T, n·D) @return x clamped to [-clip, clip] (the gradient is 0 where it was clamped) */
    private NDArray clamped(NDArray x) {
        return clip > 0 ? Scalars.clip(x, -clip, clip) : x;
    }
}
