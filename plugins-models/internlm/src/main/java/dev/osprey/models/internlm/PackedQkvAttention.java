package dev.osprey.models.internlm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * InternLM2's attention: grouped-query attention with RoPE whose q, k and v come from one {@code wqkv}
 * packed per key/value head: for each kv head h, its G = heads / kvHeads query heads, then key head h, then
 * value head h, each head_dim rows (as ModelTC/lightllm's internlm2 weight loader and vLLM's internlm2.py
 * split it). Not Phi-3's [all q | all k | all v], so the built-in fused attention cannot read it.
 */
final class PackedQkvAttention implements Attention {

    private final AttentionSpec spec;
    private final Projection wqkv;
    private final Projection wo;

    /**
     * @param module the attention's module name, e.g. {@code model.layers.0.attention}
     * @param hidden the model width H
     * @param spec heads, key/value heads, head size and biases
     */
    PackedQkvAttention(Parameters p, String module, int hidden, AttentionSpec spec) {
        this.spec = spec;
        long qOut = (long) spec.heads() * spec.headDim();
        long qkvOut = (long) (spec.heads() + 2 * spec.kvHeads()) * spec.headDim();
        wqkv = p.linear(module + ".wqkv", hidden, qkvOut, spec.qkvBias());
        wo = p.linear(module + ".wo", qOut, hidden, spec.outputBias());
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        int d = spec.headDim();
        int kv = spec.kvHeads();
        int group = spec.heads() / kv;
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray qkv = wqkv.forward(x, adapter).reshape(b, t, kv, group + 2, d); // (B, T, kvHeads, G+2, D)
        // kv head h's query heads are h·G .. h·G+G-1: the order grouped attention expects
        NDArray query =
                qkv.get(new NDIndex(":, :, :, :{}", group)).reshape(b, t, (long) kv * group * d); // (B, T, heads·D)
        NDArray key = qkv.get(new NDIndex(":, :, :, {}", group)).reshape(b, t, (long) kv * d); // (B, T, kvHeads·D)
        NDArray value =
                qkv.get(new NDIndex(":, :, :, {}", group + 1)).reshape(b, t, (long) kv * d); // (B, T, kvHeads·D)
        NDArray[] kvs = context.remember(
                context.rotate(AttentionMath.byHead(key, kv, d)),
                AttentionMath.byHead(value, kv, d)); // each (B, kvHeads, S, D)
        NDArray out = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(query, spec.heads(), d)), // (B, heads, T, D)
                kvs[0],
                kvs[1],
                context.bias(),
                (float) (1.0 / Math.sqrt(d))); // (B, T, heads·D)
        return wo.forward(out, adapter);
    }
}
