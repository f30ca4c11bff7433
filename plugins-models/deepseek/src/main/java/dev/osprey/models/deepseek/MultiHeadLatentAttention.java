package dev.osprey.models.deepseek;

import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionContext;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * DeepSeek's Multi-head Latent Attention (MLA). Queries come from {@code q_proj}, or through a low-rank
 * bottleneck {@code q_a_proj → q_a_layernorm → q_b_proj}; keys and values from one compressed latent
 * {@code kv_a_proj_with_mqa} (kv_lora_rank features plus one rotary key shared by every head) expanded by
 * {@code kv_a_layernorm → kv_b_proj} into per-head non-rotary keys and values. Only the last
 * {@code qk_rope_head_dim} features of q and k are rotated.
 *
 * <p>The KV cache holds the expanded keys (B, heads, S, qk_nope_head_dim + qk_rope_head_dim) and values
 * (B, heads, S, v_head_dim), the rotary part already rotated: decoding then costs one new position's
 * projections, where caching the latent would re-expand every cached position through kv_b_proj each step.
 */
final class MultiHeadLatentAttention implements Attention {

    /** q_a_layernorm and kv_a_layernorm are built with RMSNorm's default epsilon, not rms_norm_eps. */
    private static final double LATENT_NORM_EPS = 1e-6;

    /**
     * The shape of MLA as config.json gives it.
     *
     * @param heads {@code num_attention_heads}
     * @param qLoraRank {@code q_lora_rank}; 0 when null: a plain {@code q_proj}
     * @param kvLoraRank {@code kv_lora_rank}
     * @param qkNopeHeadDim {@code qk_nope_head_dim}, the per-head features without RoPE
     * @param qkRopeHeadDim {@code qk_rope_head_dim}, the per-head features with RoPE
     * @param vHeadDim {@code v_head_dim}
     * @param bias biases on q_a_proj, kv_a_proj_with_mqa and o_proj ({@code attention_bias})
     * @param interleaved the rotary features are stored as pairs (x0, x1), (x2, x3), ... ({@code rope_interleave}, always in V2)
     * @param scale what q·kᵀ is multiplied by
     * @param indexer DeepSeek Sparse Attention's lightning indexer (V3.2), or null for dense attention
     */
    record Spec(
            int heads,
            int qLoraRank,
            int kvLoraRank,
            int qkNopeHeadDim,
            int qkRopeHeadDim,
            int vHeadDim,
            boolean bias,
            boolean interleaved,
            float scale,
            LightningIndexer.Spec indexer) {

        Spec {
            if (qkRopeHeadDim % 2 != 0) {
                throw new IllegalArgumentException(
                        "config field 'qk_rope_head_dim' must be even, was " + qkRopeHeadDim);
            }
        }

        /**
         * @param interleaved whether the rotary features are interleaved pairs
         * @param yarnSoftmaxScale whether {@code rope_parameters.mscale_all_dim} also scales the softmax (V3)
         */
        static Spec from(ModelConfig c, boolean interleaved, boolean yarnSoftmaxScale) {
            int qLoraRank = c.get("q_lora_rank").isPresent() ? c.requireInt("q_lora_rank") : 0;
            int nope = positive(c, "qk_nope_head_dim");
            int rope = positive(c, "qk_rope_head_dim");
            double scale = 1 / Math.sqrt(nope + rope);
            String scaling = ropeScalingKey(c);
            String type = c.getString(scaling + ".rope_type", scaling + ".type").orElse("default");
            double mscaleAllDim = c.getDouble(0, scaling + ".mscale_all_dim");
            if (yarnSoftmaxScale && !type.equals("default") && mscaleAllDim != 0) {
                // YaRN's long-context temperature, applied to q·kᵀ as DeepSeek-V3 does (squared: it scales q and k)
                double mscale = DeepseekRope.mscale(c.requireDouble(scaling + ".factor"), mscaleAllDim);
                scale *= mscale * mscale;
            }
            return new Spec(
                    positive(c, "num_attention_heads"),
                    qLoraRank,
                    positive(c, "kv_lora_rank"),
                    nope,
                    rope,
                    positive(c, "v_head_dim"),
                    c.getBoolean(false, "attention_bias"),
                    interleaved,
                    (float) scale,
                    null);
        }

        /** This attention with DeepSeek Sparse Attention's indexer, which reads MLA's q latent. */
        Spec withIndexer(ModelConfig c) {
            if (qLoraRank == 0) {
                throw new IllegalArgumentException(
                        c.source()
                                + ": config field 'q_lora_rank' must be set: the sparse attention's indexer reads the q latent");
            }
            return new Spec(
                    heads,
                    qLoraRank,
                    kvLoraRank,
                    qkNopeHeadDim,
                    qkRopeHeadDim,
                    vHeadDim,
                    bias,
                    interleaved,
                    scale,
                    LightningIndexer.Spec.from(c, qkRopeHeadDim));
        }

        int qkHeadDim() {
            return qkNopeHeadDim + qkRopeHeadDim;
        }

        AttentionFactory factory() {
            return (parameters, module, layer, hidden) ->
                    new MultiHeadLatentAttention(parameters, module, hidden, this);
        }
    }

    private final Spec spec;
    private final Projection q;
    private final Projection qA;
    private final Norm qANorm;
    private final Projection qB;
    private final Projection kvA;
    private final Norm kvANorm;
    private final Projection kvB;
    private final Projection o;
    private final LightningIndexer indexer;

    MultiHeadLatentAttention(Parameters p, String module, int hidden, Spec spec) {
        this.spec = spec;
        NormFactory latentNorm = Blocks.rmsNorm(LATENT_NORM_EPS, 0f);
        long qOut = (long) spec.heads() * spec.qkHeadDim();
        if (spec.qLoraRank() > 0) {
            q = null;
            qA = p.linear(module + ".q_a_proj", hidden, spec.qLoraRank(), spec.bias());
            qANorm = latentNorm.create(p, module + ".q_a_layernorm", spec.qLoraRank());
            qB = p.linear(module + ".q_b_proj", spec.qLoraRank(), qOut, false);
        } else {
            q = p.linear(module + ".q_proj", hidden, qOut, false);
            qA = null;
            qANorm = null;
            qB = null;
        }
        kvA = p.linear(module + ".kv_a_proj_with_mqa", hidden, spec.kvLoraRank() + spec.qkRopeHeadDim(), spec.bias());
        kvANorm = latentNorm.create(p, module + ".kv_a_layernorm", spec.kvLoraRank());
        kvB = p.linear(
                module + ".kv_b_proj",
                spec.kvLoraRank(),
                (long) spec.heads() * (spec.qkNopeHeadDim() + spec.vHeadDim()),
                false);
        o = p.linear(module + ".o_proj", (long) spec.heads() * spec.vHeadDim(), hidden, spec.bias());
        indexer = spec.indexer() == null
                ? null
                : new LightningIndexer(
                        p, module + ".indexer", hidden, spec.qLoraRank(), spec.qkRopeHeadDim(), spec.indexer());
    }

    @Override
    public NDArray forward(NDArray x, AttentionContext context) {
        String adapter = context.adapter();
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = spec.heads();
        int nope = spec.qkNopeHeadDim();
        int rope = spec.qkRopeHeadDim();

        NDArray qLatent = q != null ? null : qANorm.forward(qA.forward(x, adapter)); // (B, T, qLoraRank)
        NDArray qFlat = q != null ? q.forward(x, adapter) : qB.forward(qLatent, adapter); // (B, T, heads·qkHeadDim)
        NDArray query = AttentionMath.byHead(qFlat, heads, spec.qkHeadDim()); // (B, heads, T, nope + rope)
        NDArray qPass = query.get(new NDIndex("..., :{}", nope)); // (B, heads, T, nope)
        NDArray qRot = query.get(new NDIndex("..., {}:", nope)); // (B, heads, T, rope)

        NDArray compressed = kvA.forward(x, adapter); // (B, T, kvLoraRank + rope)
        NDArray latent = compressed.get(new NDIndex("..., :{}", spec.kvLoraRank())); // (B, T, kvLoraRank)
        NDArray kRot = compressed
                .get(new NDIndex("..., {}:", spec.kvLoraRank()))
                .reshape(b, 1, t, rope); // (B, 1, T, rope): one rotary key for all heads
        NDArray kv = AttentionMath.byHead(
                kvB.forward(kvANorm.forward(latent), adapter),
                heads,
                nope + spec.vHeadDim()); // (B, heads, T, nope + v)
        NDArray kPass = kv.get(new NDIndex("..., :{}", nope)); // (B, heads, T, nope)
        NDArray value = kv.get(new NDIndex("..., {}:", nope)); // (B, heads, T, v)

        qRot = context.rotate(spec.interleaved() ? deinterleave(qRot) : qRot); // (B, heads, T, rope)
        kRot = context.rotate(spec.interleaved() ? deinterleave(kRot) : kRot); // (B, 1, T, rope)
        NDArray key = kPass.concat(kRot.broadcast(b, heads, t, rope), -1); // (B, heads, T, nope + rope)
        NDArray bias = context.bias() == null ? null : context.bias().squeeze(1); // (B or 1, 1, T, S)
        NDArray[] cached;
        if (indexer == null) {
            cached = context.remember(key, value); // (B, heads, S, nope + rope), (B, heads, S, v)
        } else {
            // the index keys ride in the cache beside each head's values: (B, heads, T, v + index_head_dim)
            NDArray indexKeys = indexer.keys(x, context); // (B, 1, T, D)
            cached = context.remember(key, value.concat(indexKeys.broadcast(b, heads, t, indexer.cachedWidth()), -1));
            int v = spec.vHeadDim();
            NDArray allIndexKeys = cached[1].get(new NDIndex(":, :1, :, {}:", v)); // (B, 1, S, D)
            cached[1] = cached[1].get(new NDIndex("..., :{}", v)); // (B, heads, S, v)
            bias = indexer.sparseBias(x, qLatent, allIndexKeys, bias, context);
        }
        NDArray out = attend(qPass.concat(qRot, -1), cached[0], cached[1], bias); // (B, T, heads·v)
        return o.forward(out, adapter);
    }

    /**
     * (x0, x1, x2, x3, ...) to (x0, x2, ..., x1, x3, ...): the interleaved pairs DeepSeek rotates become the
     * halves the rotary embedding rotates. q and k are permuted alike, so q·kᵀ is that of the interleaved
     * rotation (and equals transformers' de-interleaved output exactly).
     *
     * @param x (B, h, T, rope) @return (B, h, T, rope)
     */
    static NDArray deinterleave(NDArray x) {
        long[] s = x.getShape().getShape();
        return x.reshape(s[0], s[1], s[2], s[3] / 2, 2) // (B, h, T, rope/2, 2)
                .transpose(0, 1, 2, 4, 3) // (B, h, T, 2, rope/2)
                .reshape(s); // (B, h, T, rope)
    }

    /**
     * softmax(q·kᵀ·scale + bias)·v with the softmax in float32; values narrower than keys, so not
     * {@link AttentionMath#attend}, which gives each head the key's width.
     *
     * @param query (B, heads, T, qkHeadDim)
     * @param key (B, heads, S, qkHeadDim)
     * @param value (B, heads, S, v)
     * @param bias (B or 1, 1, T, S) or null
     * @return (B, T, heads·v)
     */
    private NDArray attend(NDArray query, NDArray key, NDArray value, NDArray bias) {
        long b = query.getShape().get(0);
        long t = query.getShape().get(2);
        NDArray scores = Scalars.mul(query.matMul(key.transpose(0, 1, 3, 2)), spec.scale()); // (B, heads, T, S)
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(query.getDataType(), false);
        NDArray out = probs.matMul(value); // (B, heads, T, v)
        return out.transpose(0, 2, 1, 3).reshape(b, t, (long) spec.heads() * spec.vHeadDim()); // (B, T, heads·v)
    }

    /** {@code rope_scaling} when the config has that map (older checkpoints), else {@code rope_parameters}. */
    static String ropeScalingKey(ModelConfig c) {
        return c.get("rope_scaling").filter(Map.class::isInstance).isPresent() ? "rope_scaling" : "rope_parameters";
    }

    private static int positive(ModelConfig c, String field) {
        int value = c.requireInt(field);
        if (value <= 0) {
            throw new IllegalArgumentException(
                    c.source() + ": config field '" + field + "' must be positive, was " + value);
        }
        return value;
    }
}
