package dev.osprey.model.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.ProjectionNames;
import dev.osprey.model.spi.QkNorms;

/** The built-in attention ({@link AttentionSpec}): MHA/GQA with optional biases, fused q/k/v and per-head q/k norms. */
public final class StandardAttention implements Attention {

    private final AttentionSpec spec;
    private final Projection q;
    private final Projection k;
    private final Projection v;
    private final Projection qkv;
    private final Projection o;
    private final Norm qNorm;
    private final Norm kNorm;

    public StandardAttention(Parameters p, String module, int hidden, AttentionSpec spec) {
        this(p, module, hidden, spec, ProjectionNames.LLAMA);
    }

    /** @param names the projections' module names under {@code module} */
    public StandardAttention(Parameters p, String module, int hidden, AttentionSpec spec, ProjectionNames names) {
        this.spec = spec;
        int d = spec.headDim();
        long qOut = (long) spec.heads() * d;
        long kvOut = (long) spec.kvHeads() * d;
        if (spec.fusedQkv()) {
            qkv = p.linear(module + "." + names.fusedQkv(), hidden, qOut + 2 * kvOut, spec.qkvBias());
            q = null;
            k = null;
            v = null;
        } else {
            qkv = null;
            q = p.linear(module + "." + names.query(), hidden, qOut, spec.qkvBias());
            k = p.linear(module + "." + names.key(), hidden, kvOut, spec.qkvBias());
            v = p.linear(module + "." + names.value(), hidden, kvOut, spec.qkvBias());
        }
        o = p.linear(module + "." + names.output(), qOut, hidden, spec.outputBias());
        QkNorms norms = spec.qkNorms();
        qNorm = norms == null ? null : norms.norm().create(p, module + "." + norms.queryNorm(), d);
        kNorm = norms == null ? null : norms.norm().create(p, module + "." + norms.keyNorm(), d);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        int d = spec.headDim();
        NDArray qx;
        NDArray kx;
        NDArray vx;
        if (qkv != null) {
            long qOut = (long) spec.heads() * d;
            NDArray fused = qkv.forward(x, adapter); // (B, T, (heads + 2 kvHeads) D)
            NDList parts = fused.split(new long[] {qOut, qOut + (long) spec.kvHeads() * d}, 2); // q, k, v
            qx = parts.get(0);
            kx = parts.get(1);
            vx = parts.get(2);
        } else {
            qx = q.forward(x, adapter);
            kx = k.forward(x, adapter);
            vx = v.forward(x, adapter);
        }
        NDArray query = AttentionMath.byHead(qx, spec.heads(), d); // (B, heads, T, D)
        NDArray key = AttentionMath.byHead(kx, spec.kvHeads(), d); // (B, kvHeads, T, D)
        NDArray value = AttentionMath.byHead(vx, spec.kvHeads(), d); // (B, kvHeads, T, D)
        boolean normsAfterRope = qNorm != null && spec.qkNorms().afterRope();
        if (qNorm != null && !normsAfterRope) {
            query = qNorm.forward(query);
            key = kNorm.forward(key);
        }
        query = context.rotateQueries(query);
        key = context.rotate(key);
        if (normsAfterRope) {
            query = qNorm.forward(query);
            key = kNorm.forward(key);
        }
        NDArray[] kv = context.remember(key, value); // each (B, kvHeads, S, D)
        NDArray out = AttentionMath.attend(
                query, kv[0], kv[1], context.bias(), (float) (1.0 / Math.sqrt(d))); // (B, T, heads·D)
        return o.forward(out, adapter);
    }
}
