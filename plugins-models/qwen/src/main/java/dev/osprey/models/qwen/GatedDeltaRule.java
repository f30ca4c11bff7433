package dev.osprey.models.qwen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;

/**
 * The gated delta rule of gated DeltaNet, in float32 and DJL ops only, so autograd trains through it. Per head,
 * with a (dk, dv) state S, every position t decays the state by exp(g_t), then writes v_t at key k_t with strength
 * beta_t (the delta rule: {@code S += k_tᵀ · beta_t (v_t - k_t·S)}) and reads {@code o_t = q_t·S}.
 *
 * <p>{@link #chunked} computes a whole sequence in chunks of positions at once (the WY form of transformers'
 * {@code torch_chunk_gated_delta_rule}); {@link #recurrent} steps one position at a time
 * ({@code torch_recurrent_gated_delta_rule}), what a decode step needs. Both take q, k already l2-normalised and
 * q already scaled, and give the same numbers up to rounding.
 */
final class GatedDeltaRule {

    private GatedDeltaRule() {}

    /**
     * @param q (B, H, T, dk)
     * @param k (B, H, T, dk)
     * @param v (B, H, T, dv)
     * @param g (B, H, T) the log decay (not positive)
     * @param beta (B, H, T) the write strength in (0, 1)
     * @param state (B, H, dk, dv) the state before the first position, or null for zeros
     * @return {out (B, H, T, dv), the state after the last position (B, H, dk, dv)}
     */
    static NDArray[] recurrent(NDArray q, NDArray k, NDArray v, NDArray g, NDArray beta, NDArray state) {
        long steps = q.getShape().get(2);
        NDArray s = state != null ? state : zeroState(q, v);
        NDList outs = new NDList();
        for (long t = 0; t < steps; t++) {
            NDIndex at = new NDIndex(":, :, {}:{}", t, t + 1);
            NDArray qt = q.get(at); // (B, H, 1, dk)
            NDArray kt = k.get(at); // (B, H, 1, dk)
            NDArray vt = v.get(at); // (B, H, 1, dv)
            NDArray decay = g.get(at).exp().expandDims(-1); // (B, H, 1, 1)
            NDArray strength = beta.get(at).expandDims(-1); // (B, H, 1, 1)
            s = s.mul(decay); // (B, H, dk, dv)
            NDArray delta = vt.sub(kt.matMul(s)).mul(strength); // (B, H, 1, dv)
            s = s.add(kt.transpose(0, 1, 3, 2).matMul(delta)); // (B, H, dk, dv)
            outs.add(qt.matMul(s)); // (B, H, 1, dv)
        }
        NDArray out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 2); // (B, H, T, dv)
        return new NDArray[] {out, s};
    }

    /**
     * The same rule over chunks of {@code chunk} positions: within a chunk the delta rule's triangular system is
     * solved at once ((I + L)⁻¹ as a product of matrix powers, L strictly lower triangular), and the state passes
     * from chunk to chunk.
     *
     * @param chunk positions per chunk, a power of two (64 as transformers)
     * @return {out (B, H, T, dv), the state after the last position (B, H, dk, dv)}
     */
    static NDArray[] chunked(NDArray q, NDArray k, NDArray v, NDArray g, NDArray beta, NDArray state, int chunk) {
        if (Integer.bitCount(chunk) != 1) {
            throw new IllegalArgumentException("the chunk size must be a power of two, was " + chunk);
        }
        Shape shape = q.getShape();
        long b = shape.get(0);
        long h = shape.get(1);
        long steps = shape.get(2);
        long dk = shape.get(3);
        long dv = v.getShape().get(3);
        long pad = (chunk - steps % chunk) % chunk;
        if (pad > 0) { // zero keys, values and log decays past the end leave outputs and the final state as they are
            q = padded(q, pad);
            k = padded(k, pad);
            v = padded(v, pad);
            g = padded(g.expandDims(-1), pad).squeeze(-1);
            beta = padded(beta.expandDims(-1), pad).squeeze(-1);
        }
        long n = (steps + pad) / chunk;
        NDManager m = q.getManager();
        NDArray vBeta = v.mul(beta.expandDims(-1)).reshape(b, h, n, chunk, dv); // (B, H, N, C, dv)
        NDArray kBeta = k.mul(beta.expandDims(-1)).reshape(b, h, n, chunk, dk); // (B, H, N, C, dk)
        q = q.reshape(b, h, n, chunk, dk); // (B, H, N, C, dk)
        k = k.reshape(b, h, n, chunk, dk); // (B, H, N, C, dk)
        g = g.reshape(b, h, n, chunk).cumSum(3); // (B, H, N, C) decay from each chunk's start
        NDArray lower = lowerTriangle(m, chunk, true); // (C, C) 1 on and below the diagonal
        NDArray strictlyLower = lowerTriangle(m, chunk, false); // (C, C)
        // exp(g_i - g_j) for j <= i; zeroed before exp above the diagonal, where it could overflow
        NDArray decay = g.expandDims(-1).sub(g.expandDims(-2)).mul(lower).exp().mul(lower); // (B, H, N, C, C)
        NDArray l = kBeta.matMul(k.transpose(0, 1, 2, 4, 3)).mul(decay).mul(strictlyLower); // (B, H, N, C, C)
        NDArray solve = unitLowerInverse(l, m, chunk); // (B, H, N, C, C) (I + L)⁻¹
        NDArray values = solve.matMul(vBeta); // (B, H, N, C, dv)
        NDArray keyDecay = solve.matMul(kBeta.mul(g.exp().expandDims(-1))); // (B, H, N, C, dk)
        NDArray s = state != null ? state : zeroState(q, v);
        NDList outs = new NDList();
        for (long i = 0; i < n; i++) {
            NDIndex at = new NDIndex(":, :, {}", i);
            NDArray qi = q.get(at); // (B, H, C, dk)
            NDArray ki = k.get(at); // (B, H, C, dk)
            NDArray gi = g.get(at); // (B, H, C)
            NDArray attn = qi.matMul(ki.transpose(0, 1, 3, 2)).mul(decay.get(at)); // (B, H, C, C)
            NDArray fresh = values.get(at).sub(keyDecay.get(at).matMul(s)); // (B, H, C, dv)
            outs.add(qi.mul(gi.exp().expandDims(-1)).matMul(s).add(attn.matMul(fresh))); // (B, H, C, dv)
            NDArray last = gi.get(new NDIndex(":, :, -1:")); // (B, H, 1)
            NDArray toEnd = last.sub(gi).exp().expandDims(-1); // (B, H, C, 1)
            s = s.mul(last.exp().expandDims(-1)) // (B, H, 1, 1)
                    .add(ki.mul(toEnd).transpose(0, 1, 3, 2).matMul(fresh)); // (B, H, dk, dv)
        }
        NDArray out = outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 2); // (B, H, N·C, dv)
        if (pad > 0) {
            out = out.get(new NDIndex(":, :, :{}", steps)); // (B, H, T, dv)
        }
        return new NDArray[] {out, s};
    }

    /**
     * (I + L)⁻¹ for strictly lower triangular L (nilpotent): the sum of (-L)^j for j below C, as the product
     * (I - L)(I + L²)(I + L⁴)… of log2(C) factors, matrix products only.
     *
     * @param l (..., C, C)
     * @return (..., C, C)
     */
    private static NDArray unitLowerInverse(NDArray l, NDManager m, int chunk) {
        NDArray eye = m.eye(chunk); // (C, C)
        NDArray power = l.neg(); // (-L)^1
        NDArray inverse = power.add(eye);
        for (int covered = 2; covered < chunk; covered *= 2) {
            power = power.matMul(power); // (-L)^covered
            inverse = inverse.matMul(power.add(eye)); // the powers below 2·covered
        }
        return inverse;
    }

    /** (C, C) float32 ones on and below the diagonal ({@code diagonal}) or strictly below it. */
    private static NDArray lowerTriangle(NDManager m, int size, boolean diagonal) {
        NDArray row = m.arange(size).reshape(size, 1); // (C, 1)
        NDArray column = m.arange(size).reshape(1, size); // (1, C)
        return (diagonal ? column.lte(row) : column.lt(row)).toType(DataType.FLOAT32, false); // (C, C)
    }

    /** @param x (B, H, T, d) @return (B, H, T + pad, d), zeros after */
    private static NDArray padded(NDArray x, long pad) {
        Shape s = x.getShape();
        return x.concat(x.getManager().zeros(new Shape(s.get(0), s.get(1), pad, s.get(3)), x.getDataType()), 2);
    }

    /** (B, H, dk, dv) zeros. */
    private static NDArray zeroState(NDArray q, NDArray v) {
        Shape s = q.getShape();
        return q.getManager()
                .zeros(
                        new Shape(
                                s.get(0),
                                s.get(1),
                                s.get(s.dimension() - 1),
                                v.getShape().get(v.getShape().dimension() - 1)),
                        DataType.FLOAT32);
    }

    /** @param x (..., d) @return x / sqrt(sum(x²) + 1e-6) over the last axis, as FLA's l2norm */
    static NDArray l2Normalized(NDArray x) {
        return x.div(Scalars.add(x.square().sum(new int[] {-1}, true), 1e-6f).sqrt());
    }

    /** @return log(1 + exp(x)), computed without overflow */
    static NDArray softplus(NDArray x) {
        return Scalars.maximum(x, 0f).add(Scalars.add(x.abs().neg().exp(), 1f).log());
    }
}
