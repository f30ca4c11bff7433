package dev.osprey.models.internvl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * InternViT, InternVL's vision tower: each tile's patches embedded (the patch conv, whose kernel equals its stride, as
 * one linear map of a patch's C·P·P pixels), a class token before them, learned position embeddings added, then
 * pre-norm blocks, each branch multiplied by its layer scale ({@code ls1}/{@code ls2}, transformers'
 * {@code lambda_1}/{@code lambda_2}): {@code h + ls1·attn(norm1(h))}, {@code h + ls2·mlp(norm2(h))}. The 300M
 * towers have LayerNorms; the 6B towers RMSNorms and RMSNorms over the queries and keys of all heads together.
 * Attention is bidirectional within each tile.
 */
final class InternVit {

    private final InternVlConfig.VisionConfig v;
    private final Weight patchWeight;
    private final Weight patchBias;
    private final Weight classToken;
    private final Weight positions;
    private final List<Block> blocks = new ArrayList<>();
    private final Norm finalNorm;
    private final boolean lastHiddenState;

    /**
     * @param used how many blocks run: those whose output the projector reads
     * @param lastHiddenState the projector reads the tower's output (after its final norm, if any) rather than a
     *        block's hidden state
     */
    InternVit(Parameters p, TowerNames n, InternVlConfig.VisionConfig v, int used, boolean lastHiddenState) {
        this.v = v;
        String module = n.tower() + ".";
        int e = v.hidden();
        this.patchWeight =
                p.normal(module + n.patchEmbedding() + ".weight", e, v.channels(), v.patchSize(), v.patchSize());
        this.patchBias = p.zeros(module + n.patchEmbedding() + ".bias", e);
        this.classToken = p.normal(module + n.classToken(), 1, 1, e);
        long tokens = 1L + (long) v.grid() * v.grid();
        this.positions = v.positions() ? p.normal(module + n.positionEmbedding(), 1, tokens, e) : null;
        // every block is declared, so a checkpoint loads whole, but only the used ones run
        for (int i = 0; i < v.layers(); i++) {
            blocks.add(new Block(p, n, module + n.layers() + "." + i));
        }
        while (blocks.size() > used) {
            blocks.remove(blocks.size() - 1);
        }
        this.finalNorm = v.finalNorm() ? LayerNormWithBias.factory(v.eps()).create(p, module + n.finalNorm(), e) : null;
        this.lastHiddenState = lastHiddenState;
    }

    /** The blocks' norms: RMSNorm or LayerNorm with the tower's eps. */
    private static NormFactory norms(InternVlConfig.VisionConfig v) {
        return v.rmsNorm() ? Blocks.rmsNorm(v.eps(), 0f) : LayerNormWithBias.factory(v.eps());
    }

    /**
     * @param tiles (N, C, S, S) normalised pixels of every tile
     * @return (N, patches, E) the patches' features, the class token dropped
     */
    NDArray encode(NDArray tiles, String adapter) {
        long n = tiles.getShape().get(0);
        int g = v.grid();
        int patch = v.patchSize();
        int e = v.hidden();
        NDArray weight = patchWeight.get().reshape(e, (long) v.channels() * patch * patch); // (E, C·P·P)
        NDArray patches = tiles.toType(weight.getDataType(), false)
                .reshape(n, v.channels(), g, patch, g, patch)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(n, (long) g * g, (long) v.channels() * patch * patch); // (N, g·g, C·P·P) row-major
        NDArray h = patches.matMul(weight.transpose()).add(patchBias.get()); // (N, g·g, E)
        NDArray cls = classToken.get().repeat(0, n); // (N, 1, E)
        h = cls.concat(h, 1); // (N, 1 + g·g, E)
        if (positions != null) {
            h = h.add(positions.get());
        }
        for (Block block : blocks) {
            NDArray in = h;
            h = Blocks.freeingIntermediates(() -> block.forward(in, adapter)); // (N, 1 + g·g, E)
        }
        if (finalNorm != null && lastHiddenState) {
            h = finalNorm.forward(h);
        }
        return h.get(new NDIndex(":, 1:, :")); // (N, g·g, E)
    }

    /** torch's exact GELU, {@code 0.5·x·(1 + erf(x / sqrt 2))}, as the tower's and the projector's {@code gelu}. */
    static NDArray gelu(NDArray x) {
        return Scalars.mul(
                x.mul(Scalars.add(Scalars.mul(x, (float) (1 / Math.sqrt(2))).erf(), 1f)), 0.5f);
    }

    /** One pre-norm block with layer scales. */
    private final class Block {
        final Norm norm1;
        final Norm norm2;
        final Projection qkv;
        final Projection query;
        final Projection key;
        final Projection value;
        final Norm queryNorm;
        final Norm keyNorm;
        final Projection output;
        final Weight scale1;
        final Weight scale2;
        final Projection fc1;
        final Projection fc2;

        Block(Parameters p, TowerNames n, String module) {
            int e = v.hidden();
            NormFactory norms = norms(v);
            norm1 = norms.create(p, module + "." + n.norm1(), e);
            norm2 = norms.create(p, module + "." + n.norm2(), e);
            String attention = module + "." + n.attention();
            if (n.qkv() != null) {
                qkv = p.linear(attention + "." + n.qkv(), e, 3L * e, v.qkvBias());
                query = key = value = null;
            } else {
                qkv = null;
                query = p.linear(attention + ".q_proj", e, e, v.qkvBias());
                key = p.linear(attention + ".k_proj", e, e, v.qkvBias());
                value = p.linear(attention + ".v_proj", e, e, v.qkvBias());
            }
            NormFactory qk = Blocks.rmsNorm(v.eps(), 0f);
            queryNorm = v.qkNorm() ? qk.create(p, attention + ".q_norm", e) : null;
            keyNorm = v.qkNorm() ? qk.create(p, attention + ".k_norm", e) : null;
            output = p.linear(attention + "." + n.output(), e, e, true);
            scale1 = p.ones(module + "." + n.scale1(), e);
            scale2 = p.ones(module + "." + n.scale2(), e);
            fc1 = p.linear(module + ".mlp.fc1", e, v.intermediate(), true);
            fc2 = p.linear(module + ".mlp.fc2", v.intermediate(), e, true);
        }

        /** (N, T, E) to (N, T, E). */
        NDArray forward(NDArray h, String adapter) {
            h = h.add(attention(norm1.forward(h), adapter).mul(scale1.get()));
            NDArray mlp = fc2.forward(gelu(fc1.forward(norm2.forward(h), adapter)), adapter);
            return h.add(mlp.mul(scale2.get()));
        }

        /** Bidirectional attention over each tile's tokens. (N, T, E) to (N, T, E). */
        private NDArray attention(NDArray x, String adapter) {
            NDArray q;
            NDArray k;
            NDArray val;
            if (qkv != null) {
                NDList split = qkv.forward(x, adapter).split(3, 2); // 3 x (N, T, E): q, k, v
                q = split.get(0);
                k = split.get(1);
                val = split.get(2);
            } else {
                q = query.forward(x, adapter);
                k = key.forward(x, adapter);
                val = value.forward(x, adapter);
            }
            if (queryNorm != null) {
                q = queryNorm.forward(q); // over all heads together, as InternViT-6B normalises
                k = keyNorm.forward(k);
            }
            int heads = v.heads();
            int d = v.headDim();
            NDArray out = AttentionMath.attend(
                    AttentionMath.byHead(q, heads, d),
                    AttentionMath.byHead(k, heads, d),
                    AttentionMath.byHead(val, heads, d),
                    null,
                    (float) (1 / Math.sqrt(d))); // (N, T, E)
            return output.forward(out, adapter);
        }
    }
}
