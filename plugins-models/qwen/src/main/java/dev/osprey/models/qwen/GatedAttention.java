package dev.osprey.models.qwen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Qwen3-Next's full attention ({@code self_attn}): grouped-query attention with per-head q/k norms before the
 * (partial) rotary embedding, whose {@code q_proj} also gives an output gate: per head D query features then D
 * gate features, and the attention's output is multiplied by sigmoid(gate) before {@code o_proj}.
 */
final class GatedAttention implements Attention {

    private final AttentionSpec spec;
    private final Projection q;
    private final Projection k;
    private final Projection v;
    private final Projection o;
    private final Norm qNorm;
    private final Norm kNorm;

    /** @param norm the kind of the per-head q/k norms */
    GatedAttention(Parameters p, String module, int hidden, AttentionSpec spec, NormFactory norm) {
        this.spec = spec;
        int d = spec.headDim();
        long qOut = (long) spec.heads() * d;
        long kvOut = (long) spec.kvHeads() * d;
        q = p.linear(module + ".q_proj", hidden, 2 * qOut, spec.qkvBias());
        k = p.linear(module + ".k_proj", hidden, kvOut, spec.qkvBias());
        v = p.linear(module + ".v_proj", hidden, kvOut, spec.qkvBias());
        o = p.linear(module + ".o_proj", qOut, hidden, spec.outputBias());
        qNorm = norm.create(p, module + ".q_norm", d);
        kNorm = norm.create(p, module + ".k_norm", d);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int d = spec.headDim();
        int heads = spec.heads();
        NDList queryGate = q.forward(x, adapter).reshape(b, t, heads, 2L * d).split(2, 3); // (B, T, heads, D) ×2
        NDArray gate = queryGate.get(1).reshape(b, t, (long) heads * d); // (B, T, heads·D)
        NDArray query = qNorm.forward(queryGate.get(0)).transpose(0, 2, 1, 3); // (B, heads, T, D)
        NDArray key =
                kNorm.forward(AttentionMath.byHead(k.forward(x, adapter), spec.kvHeads(), d)); // (B, kvHeads, T, D)
        NDArray value = AttentionMath.byHead(v.forward(x, adapter), spec.kvHeads(), d); // (B, kvHeads, T, D)
        NDArray[] kv = context.remember(context.rotate(key), value); // each (B, kvHeads, S, D)
        NDArray out = AttentionMath.attend(
                context.rotate(query), kv[0], kv[1], context.bias(), (float) (1.0 / Math.sqrt(d))); // (B, T, heads·D)
        return o.forward(out.mul(Activation.sigmoid(gate)), adapter); // (B, T, H)
    }
}
