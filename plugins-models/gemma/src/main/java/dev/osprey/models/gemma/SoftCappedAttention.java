package dev.osprey.models.gemma;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.QkNorms;

/**
 * Gemma 2 and Gemma 3 attention: grouped-query attention scaled by {@code query_pre_attn_scalar^-1/2}
 * rather than {@code head_dim^-1/2}, its scores soft-capped to {@code (-cap, cap)} by
 * {@code cap·tanh(scores / cap)} before the mask ({@code attn_logit_softcapping}, Gemma 2), optional
 * per-head q/k norms before RoPE (Gemma 3), and a sliding window of its own: local and global layers
 * alternate, so the window is per layer rather than the decoder's one.
 *
 * <p>The window counts positions of the KV cache as the decoder's own window does (a key is seen when it
 * is fewer than {@code window} positions before the query): the cache keeps every position, so decoding
 * past the window masks the old keys rather than dropping them.
 */
final class SoftCappedAttention implements Attention {

    private final AttentionSpec spec;
    private final float scale;
    private final float softcap;
    private final int window;
    private final Projection q;
    private final Projection k;
    private final Projection v;
    private final Projection o;
    private final Norm qNorm;
    private final Norm kNorm;

    /**
     * @param module the attention's module name, e.g. {@code model.layers.0.self_attn}
     * @param hidden the model width H
     * @param spec heads, key/value heads, head size, biases and q/k norms
     * @param scale what q·kᵀ is multiplied by
     * @param softcap the score cap, or 0 for none
     * @param window the sliding window of this layer, or 0 for a global layer
     */
    SoftCappedAttention(
            Parameters p, String module, int hidden, AttentionSpec spec, double scale, double softcap, int window) {
        this.spec = spec;
        this.scale = (float) scale;
        this.softcap = (float) softcap;
        this.window = window;
        long qOut = (long) spec.heads() * spec.headDim();
        long kvOut = (long) spec.kvHeads() * spec.headDim();
        q = p.linear(module + ".q_proj", hidden, qOut, spec.qkvBias());
        k = p.linear(module + ".k_proj", hidden, kvOut, spec.qkvBias());
        v = p.linear(module + ".v_proj", hidden, kvOut, spec.qkvBias());
        o = p.linear(module + ".o_proj", qOut, hidden, spec.outputBias());
        QkNorms norms = spec.qkNorms();
        qNorm = norms == null ? null : norms.norm().create(p, module + "." + norms.queryNorm(), spec.headDim());
        kNorm = norms == null ? null : norms.norm().create(p, module + "." + norms.keyNorm(), spec.headDim());
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        int d = spec.headDim();
        NDArray query = AttentionMath.byHead(q.forward(x, adapter), spec.heads(), d); // (B, heads, T, D)
        NDArray key = AttentionMath.byHead(k.forward(x, adapter), spec.kvHeads(), d); // (B, kvHeads, T, D)
        NDArray value = AttentionMath.byHead(v.forward(x, adapter), spec.kvHeads(), d); // (B, kvHeads, T, D)
        if (qNorm != null) {
            query = qNorm.forward(query);
            key = kNorm.forward(key);
        }
        NDArray[] kv = context.remember(context.rotate(key), value); // each (B, kvHeads, S, D)
        // a local layer's window is the context's, which keeps a media stage's attention blocks whole
        NDArray bias = window > 0 ? context.slidingBias(window) : context.bias();
        NDArray out = attend(context.rotate(query), kv[0], kv[1], bias); // (B, T, heads·D)
        return o.forward(out, adapter);
    }

    /**
     * softmax(softcap(q·kᵀ·scale) + bias)·v with each group of query heads sharing one key/value head, the
     * softmax in float32.
     *
     * @param query (B, heads, T, D)
     * @param key (B, kvHeads, S, D)
     * @param value (B, kvHeads, S, D)
     * @param bias the context's bias (with this layer's window), (B or 1, 1, 1, T, S), or null
     * @return (B, T, heads·D)
     */
    private NDArray attend(NDArray query, NDArray key, NDArray value, NDArray bias) {
        long b = query.getShape().get(0);
        int heads = Math.toIntExact(query.getShape().get(1));
        int t = Math.toIntExact(query.getShape().get(2));
        long d = query.getShape().get(3);
        int kvHeads = Math.toIntExact(key.getShape().get(1));
        NDArray grouped = query.reshape(b, kvHeads, heads / kvHeads, t, d); // (B, kvHeads, group, T, D)
        NDArray keysT = key.expandDims(2).transpose(0, 1, 2, 4, 3); // (B, kvHeads, 1, D, S)
        NDArray scores = Scalars.mul(grouped.matMul(keysT), scale); // (B, kvHeads, group, T, S)
        if (softcap > 0) {
            scores = Scalars.mul(Scalars.div(scores, softcap).tanh(), softcap); // capped before the mask, as Gemma 2
        }
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(query.getDataType(), false);
        NDArray out = probs.matMul(value.expandDims(2)); // (B, kvHeads, group, T, D)
        return out.reshape(b, heads, t, d).transpose(0, 2, 1, 3).reshape(b, t, heads * d); // (B, T, heads·D)
    }
}
