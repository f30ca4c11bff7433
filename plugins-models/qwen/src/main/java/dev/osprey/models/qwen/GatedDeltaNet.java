package dev.osprey.models.qwen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * Qwen3-Next's linear-attention token mixer ({@code linear_attn}), gated DeltaNet: {@code in_proj_qkvz} gives
 * q, k, v and the output gate z, {@code in_proj_ba} the write strength beta = sigmoid(b) and the decay
 * g = -exp(A_log)·softplus(a + dt_bias) per value head; q, k and v pass a causal depthwise conv ({@code conv1d},
 * SiLU), q and k are l2-normalised, the {@link GatedDeltaRule} mixes the positions, and an RMSNorm gated by
 * silu(z) ({@code norm}) precedes {@code out_proj}. Qwen3.5 splits the projections ({@code in_proj_qkv},
 * {@code in_proj_z}, {@code in_proj_b}, {@code in_proj_a}), each laid out head after head rather than grouped by
 * key head.
 *
 * <p>It keeps no keys and values: its cache entry is a recurrent state
 * ({@link AttentionContext#keepRecurrentState}), the conv's last {@code linear_conv_kernel_dim - 1} inputs
 * (B, K - 1, convDim) and the delta rule's state (B, valueHeads, dk, dv).
 */
final class GatedDeltaNet implements Attention {

    /** Positions per chunk of a multi-token pass, as transformers' torch path. */
    static final int CHUNK = 64;

    private final Qwen3NextArchitecture.LinearAttention shape;
    private final double eps;
    /** Qwen3-Next's fused projections, or null for Qwen3.5's split ones. */
    private final Projection qkvz;

    private final Projection ba;
    /** Qwen3.5's split projections, or null for Qwen3-Next's fused ones. */
    private final Projection qkv;

    private final Projection zProjection;
    private final Projection bProjection;
    private final Projection aProjection;
    private final Projection out;
    private final Weight conv;
    private final Weight aLog;
    private final Weight dtBias;
    private final Weight norm;

    /**
     * @param module the block's module name, e.g. {@code model.layers.0.linear_attn}
     * @param split Qwen3.5's split projections rather than Qwen3-Next's fused ones
     */
    GatedDeltaNet(
            Parameters p,
            String module,
            int hidden,
            Qwen3NextArchitecture.LinearAttention shape,
            double eps,
            boolean split) {
        this.shape = shape;
        this.eps = eps;
        int r = shape.valueHeads() / shape.keyHeads();
        long values = (long) shape.valueHeads() * shape.valueDim();
        if (split) {
            qkvz = null;
            ba = null;
            qkv = p.linear(module + ".in_proj_qkv", hidden, shape.convDim(), false);
            zProjection = p.linear(module + ".in_proj_z", hidden, values, false);
            bProjection = p.linear(module + ".in_proj_b", hidden, shape.valueHeads(), false);
            aProjection = p.linear(module + ".in_proj_a", hidden, shape.valueHeads(), false);
        } else {
            long qkvzOut = (long) shape.keyHeads() * (2L * shape.keyDim() + 2L * r * shape.valueDim());
            qkvz = p.linear(module + ".in_proj_qkvz", hidden, qkvzOut, false);
            ba = p.linear(module + ".in_proj_ba", hidden, 2L * shape.valueHeads(), false);
            qkv = null;
            zProjection = null;
            bProjection = null;
            aProjection = null;
        }
        conv = p.normal(module + ".conv1d.weight", shape.convDim(), 1, shape.convKernel());
        dtBias = p.ones(module + ".dt_bias", shape.valueHeads());
        aLog = p.zeros(module + ".A_log", shape.valueHeads()); // A = 1 until a checkpoint's values load
        norm = p.ones(module + ".norm.weight", shape.valueDim());
        out = p.linear(module + ".out_proj", (long) shape.valueHeads() * shape.valueDim(), hidden, false);
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        NDArray padding = context.paddingMask(); // (B, T) or null
        if (padding != null) {
            x = x.mul(padding.expandDims(-1)); // (B, T, H): padding adds nothing to the state
        }
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int hk = shape.keyHeads();
        int hv = shape.valueHeads();
        int dk = shape.keyDim();
        int dv = shape.valueDim();
        int r = hv / hk;
        NDArray mixed; // (B, T, convDim): q, k, v
        NDArray z; // (B, T, Hv, dv)
        NDArray bRaw; // (B, T, Hv)
        NDArray a; // (B, T, Hv)
        if (qkvz != null) {
            // per key head: q, k, the values and gates of its r value heads (Qwen3-Next's grouped layout)
            NDList qkvzParts = qkvz.forward(x, adapter)
                    .reshape(b, t, hk, 2L * dk + 2L * r * dv) // (B, T, Hk, 2dk + 2r·dv)
                    .split(new long[] {dk, 2L * dk, 2L * dk + (long) r * dv}, 3);
            NDList baParts =
                    ba.forward(x, adapter).reshape(b, t, hk, 2L * r).split(new long[] {r}, 3); // (B, T, Hk, r) ×2
            mixed = NDArrays.concat(
                    new NDList(
                            qkvzParts.get(0).reshape(b, t, (long) hk * dk),
                            qkvzParts.get(1).reshape(b, t, (long) hk * dk),
                            qkvzParts.get(2).reshape(b, t, (long) hv * dv)),
                    2);
            z = qkvzParts.get(3).reshape(b, t, hv, dv);
            bRaw = baParts.get(0).reshape(b, t, hv);
            a = baParts.get(1).reshape(b, t, hv);
        } else {
            // Qwen3.5: q, k and v already head after head, as the conv takes them
            mixed = qkv.forward(x, adapter);
            z = zProjection.forward(x, adapter).reshape(b, t, hv, dv);
            bRaw = bProjection.forward(x, adapter);
            a = aProjection.forward(x, adapter);
        }
        a = a.toType(DataType.FLOAT32, false);
        NDArray beta = Activation.sigmoid(bRaw.toType(DataType.FLOAT32, false)); // (B, T, Hv)
        NDArray g = GatedDeltaRule.softplus(a.add(dtBias.get().toType(DataType.FLOAT32, false)))
                .mul(aLog.get().toType(DataType.FLOAT32, false).exp())
                .neg(); // (B, T, Hv)

        NDArray[] previous = context.recurrentState(); // {conv window, delta-rule state} or null
        NDArray window = previous != null
                ? previous[0]
                : x.getManager().zeros(new Shape(b, shape.convKernel() - 1, shape.convDim()), mixed.getDataType());
        NDArray padded = window.concat(mixed, 1); // (B, K - 1 + T, convDim)
        NDArray convolved = convolve(padded, t); // (B, T, convDim)
        // a copy: a view would keep the whole prompt's inputs alive in the cache
        NDArray nextWindow = padded.get(new NDIndex(":, {}:", t)).duplicate(); // (B, K - 1, convDim)

        NDList qkv = convolved.split(new long[] {(long) hk * dk, 2L * hk * dk}, 2);
        NDArray q = heads(qkv.get(0), b, t, hk, dk, r); // (B, Hv, T, dk)
        NDArray k = heads(qkv.get(1), b, t, hk, dk, r); // (B, Hv, T, dk)
        NDArray v = qkv.get(2).reshape(b, t, hv, dv).transpose(0, 2, 1, 3).toType(DataType.FLOAT32, false);
        q = Scalars.mul(GatedDeltaRule.l2Normalized(q), (float) (1.0 / Math.sqrt(dk)));
        k = GatedDeltaRule.l2Normalized(k);
        NDArray gh = g.transpose(0, 2, 1); // (B, Hv, T)
        NDArray betaH = beta.transpose(0, 2, 1); // (B, Hv, T)
        NDArray state = previous != null ? previous[1] : null;
        NDArray[] mixedOut = t == 1
                ? GatedDeltaRule.recurrent(q, k, v, gh, betaH, state)
                : GatedDeltaRule.chunked(q, k, v, gh, betaH, state, CHUNK); // {(B, Hv, T, dv), (B, Hv, dk, dv)}
        context.keepRecurrentState(nextWindow, mixedOut[1]);

        NDArray y = mixedOut[0].transpose(0, 2, 1, 3); // (B, T, Hv, dv) float32
        NDArray variance = y.square().mean(new int[] {-1}, true); // (B, T, Hv, 1)
        y = y.div(Scalars.add(variance, eps).sqrt()).mul(norm.get().toType(DataType.FLOAT32, false));
        NDArray z32 = z.toType(DataType.FLOAT32, false);
        y = y.mul(z32.mul(Activation.sigmoid(z32))); // gated by silu(z)
        return out.forward(y.reshape(b, t, (long) hv * dv).toType(x.getDataType(), false), adapter); // (B, T, H)
    }

    /**
     * The causal depthwise conv with SiLU: output t sums the K inputs ending at t, each channel with its own
     * weights.
     *
     * @param padded (B, K - 1 + T, convDim) the window of earlier inputs, then the new ones
     * @return (B, T, convDim)
     */
    private NDArray convolve(NDArray padded, long t) {
        int kernel = shape.convKernel();
        NDArray w =
                conv.get().reshape(shape.convDim(), kernel).transpose().toType(padded.getDataType(), false); // (K, C)
        NDArray sum = null;
        for (int j = 0; j < kernel; j++) {
            NDArray term = padded.get(new NDIndex(":, {}:{}", j, j + t)).mul(w.get(j)); // (B, T, C)
            sum = sum == null ? term : sum.add(term);
        }
        return sum.mul(Activation.sigmoid(sum)); // SiLU
    }

    /**
     * @param x (B, T, Hk·d) one part of the conv's output
     * @return (B, Hk·r, T, d) float32, each key head repeated for its r value heads
     */
    private static NDArray heads(NDArray x, long b, long t, int hk, int d, int r) {
        NDArray h = x.reshape(b, t, hk, 1, d); // (B, T, Hk, 1, d)
        if (r > 1) {
            h = h.repeat(3, r); // (B, T, Hk, r, d)
        }
        return h.reshape(b, t, (long) hk * r, d).transpose(0, 2, 1, 3).toType(DataType.FLOAT32, false);
    }
}
