package dev.osprey.models.baichuan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Baichuan's attention: multi-head attention whose q, k and v come from one {@code W_pack} (rows
 * {@code [q; k; v]}, no bias), the output from {@code o_proj}; positions by the layout's RoPE (the 7B models) or by
 * ALiBi (the 13B models, whose layout has no RoPE).
 */
final class BaichuanAttention implements Attention {

    private final int heads;
    private final int headDim;
    private final Alibi alibi;
    private final Projection pack;
    private final Projection out;

    /**
     * @param module e.g. {@code model.layers.0.self_attn}
     * @param hidden the model width H = heads · D
     * @param alibi ALiBi's bias, or null for RoPE
     */
    BaichuanAttention(Parameters p, String module, int hidden, int heads, Alibi alibi) {
        this.heads = heads;
        this.headDim = hidden / heads;
        this.alibi = alibi;
        pack = p.linear(module + ".W_pack", hidden, 3L * hidden, false);
        out = p.linear(module + ".o_proj", hidden, hidden, false);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        NDList qkv = pack.forward(x, adapter).split(3, 2); // 3 × (B, T, H): q, k, v
        NDArray[] kv = context.remember(
                context.rotate(AttentionMath.byHead(qkv.get(1), heads, headDim)),
                AttentionMath.byHead(qkv.get(2), heads, headDim)); // each (B, heads, S, D)
        NDArray bias = context.bias(); // (B or 1, 1, 1, T, S) or null
        if (alibi != null) {
            NDArray positions = alibi.bias(x.getManager(), kv[0].getShape().get(2), x.getDataType());
            bias = bias == null ? positions : bias.add(positions); // (B or 1, heads, 1, T or 1, S)
        }
        NDArray attended = AttentionMath.attend(
                context.rotate(AttentionMath.byHead(qkv.get(0), heads, headDim)), // (B, heads, T, D)
                kv[0],
                kv[1],
                bias,
                (float) (1.0 / Math.sqrt(headDim))); // (B, T, H)
        return out.forward(attended, adapter); // (B, T, H)
    }
}
