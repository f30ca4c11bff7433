package dev.osprey.models.deepseek;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * DeepSeek Sparse Attention's lightning indexer (DeepSeek-V3.2, GLM-5): each query keeps only the
 * {@code index_topk} keys with the highest index score, {@code Σ_h w_h(x)·relu(q_h·k / sqrt(D))}, where the
 * {@code index_n_heads} queries come from MLA's q latent ({@code wq_b}), the one key per position from the hidden
 * state ({@code wk}, then a LayerNorm {@code k_norm}), both rotated over their first {@code qk_rope_head_dim}
 * features in the half layout, and the head weights from {@code weights_proj} (times {@code 1/sqrt(heads)}).
 * Its output is a mask, so it gets no gradient from the loss, as in transformers (DeepSeek trains it with its own
 * objective).
 */
final class LightningIndexer {

    /** Transformers' LayerNorm epsilon of {@code k_norm}. */
    private static final double KEY_NORM_EPS = 1e-6;

    /** What a masked score is set to: the decoder's own bias value, finite so a fully masked row stays finite. */
    private static final float MASKED = -1e9f;

    /**
     * @param heads {@code index_n_heads}
     * @param headDim {@code index_head_dim}
     * @param topK {@code index_topk}
     */
    record Spec(int heads, int headDim, int topK) {

        static Spec from(ModelConfig c, int ropeDim) {
            Spec spec = new Spec(
                    c.getInt(64, "index_n_heads"), c.getInt(128, "index_head_dim"), c.getInt(2048, "index_topk"));
            if (spec.heads() <= 0 || spec.topK() <= 0) {
                throw new IllegalArgumentException(c.source()
                        + ": config fields 'index_n_heads' and 'index_topk' must be positive, were " + spec.heads()
                        + " and " + spec.topK());
            }
            if (spec.headDim() < ropeDim) {
                throw new IllegalArgumentException(c.source() + ": config field 'index_head_dim' (" + spec.headDim()
                        + ") must hold the qk_rope_head_dim (" + ropeDim + ") rotated features");
            }
            return spec;
        }
    }

    private final Spec spec;
    private final int ropeDim;
    private final Projection query;
    private final Projection key;
    private final Weight keyNormWeight;
    private final Weight keyNormBias;
    private final Projection headWeights;

    /** @param module the indexer's module, e.g. {@code model.layers.0.self_attn.indexer} */
    LightningIndexer(Parameters p, String module, int hidden, int qLoraRank, int ropeDim, Spec spec) {
        this.spec = spec;
        this.ropeDim = ropeDim;
        // not LoRA targets: a mask has no gradient to train them by
        query = p.plainLinear(module + ".wq_b", qLoraRank, (long) spec.heads() * spec.headDim(), false);
        key = p.plainLinear(module + ".wk", hidden, spec.headDim(), false);
        keyNormWeight = p.ones(module + ".k_norm.weight", spec.headDim());
        keyNormBias = p.zeros(module + ".k_norm.bias", spec.headDim());
        headWeights = p.plainLinear(module + ".weights_proj", hidden, spec.heads(), false);
    }

    /** Features each position adds to the cache: its index key. */
    int cachedWidth() {
        return spec.headDim();
    }

    /**
     * This pass's index keys, rotated.
     *
     * @param x (B, T, H)
     * @return (B, 1, T, index_head_dim)
     */
    NDArray keys(NDArray x, AttentionContext context) {
        NDArray k = key.forward(x, null); // (B, T, D)
        NDArray centred = k.sub(k.mean(new int[] {-1}, true));
        NDArray variance = centred.square().mean(new int[] {-1}, true);
        NDArray normed = centred.div(Scalars.add(variance, (float) KEY_NORM_EPS).sqrt())
                .mul(keyNormWeight.get())
                .add(keyNormBias.get()); // (B, T, D)
        return rotated(normed.expandDims(1), context); // (B, 1, T, D)
    }

    /**
     * The attention bias with every key outside each query's top {@code index_topk} masked.
     *
     * @param x (B, T, H) the layer's input
     * @param qLatent (B, T, q_lora_rank) MLA's normed q latent
     * @param keys (B, 1, S, D) the index keys of every position, cached and new
     * @param bias (B or 1, 1, T, S) the context's bias, or null when every key is visible
     * @return (B, 1, T, S) the bias of the sparse attention, or {@code bias} itself when no query has more visible
     *     keys than {@code index_topk}
     */
    NDArray sparseBias(NDArray x, NDArray qLatent, NDArray keys, NDArray bias, AttentionContext context) {
        long s = keys.getShape().get(2);
        if (s <= spec.topK()) {
            return bias; // every key is among the top k
        }
        NDArray q = rotated(AttentionMath.byHead(query.forward(qLatent, null), spec.heads(), spec.headDim()), context);
        NDArray scores = Activation.relu(Scalars.mul(
                q.toType(DataType.FLOAT32, false)
                        .matMul(keys.toType(DataType.FLOAT32, false).transpose(0, 1, 3, 2)),
                (float) (1 / Math.sqrt(spec.headDim())))); // (B, heads, T, S)
        NDArray weights = Scalars.mul(headWeights.forward(x, null).toType(DataType.FLOAT32, false), (float)
                (1 / Math.sqrt(spec.heads()))); // (B, T, heads)
        NDArray index = weights.transpose(0, 2, 1).expandDims(-1).mul(scores).sum(new int[] {1}, true); // (B, 1, T, S)
        NDArray visible = bias == null ? index.zerosLike() : bias.toType(DataType.FLOAT32, false);
        NDArray ranked = index.add(visible); // masked keys fall to the bottom
        NDArray kth = ranked.topK(spec.topK(), -1, true, true).get(0).get(new NDIndex("..., {}:", spec.topK() - 1));
        NDArray kept = ranked.gte(kth).toType(DataType.FLOAT32, false); // (B, 1, T, S): 1 for the top k
        NDArray dropped = ranked.lt(kth).toType(DataType.FLOAT32, false); // (B, 1, T, S): 1 for the others
        // masked_fill of the keys not kept, as transformers does: a row that masks every key stays uniform
        NDArray sparse = visible.mul(kept).add(Scalars.mul(dropped, MASKED)); // (B, 1, T, S)
        return sparse.toType(x.getDataType(), false);
    }

    /** @param x (B, h, T, D) @return x with its first {@code qk_rope_head_dim} features rotated, half layout */
    private NDArray rotated(NDArray x, AttentionContext context) {
        NDArray rot = context.rotate(x.get(new NDIndex("..., :{}", ropeDim)));
        return ropeDim == spec.headDim() ? rot : rot.concat(x.get(new NDIndex("..., {}:", ropeDim)), -1);
    }
}
