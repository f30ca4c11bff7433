package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * The vision encoder of Qwen2-VL and Qwen2.5-VL ({@code visual}): the patch embedding (a Conv3d whose kernel equals
 * its stride, so a linear map of each patch's C·T·P·P pixels), pre-norm blocks of fused-q/k/v attention with 2-D
 * rotary positions (each patch's row and column) and an MLP, then the {@link PatchMerger}. Attention stays within
 * each image, or each frame group of a video ({@code cu_seqlens}); Qwen2.5-VL's blocks outside {@code fullatt_block_indexes} attend only
 * within windows of {@code window_size} pixels ({@link VisionWindows}), for which the patches are put in window
 * order before the blocks and the merged tokens back in the processor's order after the merger.
 *
 * <p>Qwen2-VL: LayerNorms and a {@code fc1}/{@code fc2} MLP with QuickGELU. Qwen2.5-VL: RMSNorms and a SwiGLU MLP
 * ({@code gate_proj}, {@code up_proj}, {@code down_proj}, with biases). Qwen3-VL: Qwen2-VL's blocks with a tanh-GELU
 * {@code linear_fc1}/{@code linear_fc2} MLP, a bias on the patch embedding, learned position embeddings
 * ({@code pos_embed}, a square grid bilinearly interpolated to each item's patches) added to it, and DeepStack:
 * the outputs of the blocks of {@code deepstack_visual_indexes}, each through a merger of its own
 * ({@code deepstack_merger_list.N}), for the language model's first layers.
 */
final class VisionTower {

    /** The activations of the {@code fc1}/{@code fc2} MLP ({@code vision_config.hidden_act}) it computes. */
    static final Set<String> ACTIVATIONS = Set.of("quick_gelu", "gelu", "silu", "gelu_pytorch_tanh");

    private static final double ROTARY_THETA = 10000.0;
    private static final double NORM_EPS = 1e-6;

    private final Qwen2VlConfig.VisionConfig v;
    private final Weight patchEmbed;
    /** Qwen3-VL's patch-embedding bias, or null. */
    private final Weight patchBias;
    /** Qwen3-VL's learned positions, or null. */
    private final LearnedPositions positions;

    private final List<Block> blocks = new ArrayList<>();
    private final PatchMerger merger;
    /** Qwen3-VL's DeepStack mergers, one per block of {@code deepstack_visual_indexes}. */
    private final List<PatchMerger> deepstack = new ArrayList<>();

    /**
     * What the tower makes of a request's items.
     *
     * @param features (N / merge², hidden) one embedding per placeholder token, in order
     * @param deepstack (N / merge², hidden) each: the DeepStack features for the language model's first layers
     */
    record Encoded(NDArray features, List<NDArray> deepstack) {}

    VisionTower(Parameters p, String module, Qwen2VlConfig.VisionConfig v) {
        this.v = v;
        this.patchEmbed = p.normal(
                module + ".patch_embed.proj.weight",
                v.embedDim(),
                v.channels(),
                v.temporalPatchSize(),
                v.patchSize(),
                v.patchSize());
        this.patchBias = v.qwen3() ? p.zeros(module + ".patch_embed.proj.bias", v.embedDim()) : null;
        this.positions = v.positionEmbeddings() > 0 ? new LearnedPositions(p, module + ".pos_embed", v) : null;
        for (int i = 0; i < v.depth(); i++) {
            blocks.add(new Block(p, module + ".blocks." + i, i));
        }
        this.merger = new PatchMerger(p, module + ".merger", v, false);
        for (int i = 0; i < v.deepstackLayers().size(); i++) {
            deepstack.add(new PatchMerger(p, module + ".deepstack_merger_list." + i, v, true));
        }
    }

    /** The vision norms: LayerNorm (Qwen2-VL) or RMSNorm (Qwen2.5-VL), eps 1e-6. */
    static NormFactory norms(Qwen2VlConfig.VisionConfig v) {
        return v.rmsNorm() ? Blocks.rmsNorm(NORM_EPS, 0f) : VisionLayerNorm.FACTORY;
    }

    /**
     * @param pixels (N, C·T·P·P) the processor's patches of every item, in order
     * @param grids per item its (t, h, w) in patches
     * @param adapter the LoRA adapter, or null
     * @return one embedding per placeholder token, in order, and Qwen3-VL's DeepStack features
     */
    Encoded encode(NDArray pixels, long[][] grids, String adapter) {
        long patches = 0;
        for (long[] g : grids) {
            patches += g[0] * g[1] * g[2];
        }
        if (pixels.getShape().dimension() != 2
                || pixels.getShape().get(0) != patches
                || pixels.getShape().get(1) != v.patchFeatures()) {
            throw new IllegalArgumentException(
                    "pixel_values must be (patches, channels·temporal_patch_size·patch_size²)" + " = (" + patches + ", "
                            + v.patchFeatures() + ") for the grids, was " + pixels.getShape());
        }
        NDManager m = pixels.getManager();
        VisionWindows windows = VisionWindows.of(grids, v.mergeSize(), v.windowSize() / v.mergeSize() / v.patchSize());
        NDArray weight = patchEmbed.get().reshape(v.embedDim(), v.patchFeatures()); // (E, C·T·P·P)
        NDArray h = pixels.toType(weight.getDataType(), false).matMul(weight.transpose()); // (N, E)
        if (patchBias != null) {
            h = h.add(patchBias.get());
        }
        if (positions != null) {
            h = h.add(positions.forward(m, grids)); // (N, E)
        }
        if (v.windowSize() > 0) {
            h = h.get(m.create(windows.patchOrder())); // (N, E) in window order
        }
        NDArray[] cosSin = rotary(m, grids, v.windowSize() > 0 ? windows.patchOrder() : null, weight);
        List<NDArray> deep = new ArrayList<>();
        for (Block block : blocks) {
            long[] spans = v.windowSize() > 0 && !v.fullAttentionBlocks().contains(block.index)
                    ? windows.windowBounds()
                    : windows.frameBounds();
            NDArray in = h;
            h = Blocks.freeingIntermediates(() -> block.forward(in, cosSin, spans, adapter)); // (N, E)
            int stacked = v.deepstackLayers().indexOf(block.index);
            if (stacked >= 0) {
                // in block order, as transformers hands them to the language model's layers
                deep.add(deepstack.get(stacked).forward(h, adapter)); // (N / merge², hidden)
            }
        }
        NDArray merged = merger.forward(h, adapter); // (N / merge², hidden)
        return new Encoded(v.windowSize() > 0 ? merged.get(m.create(windows.tokenInverse())) : merged, deep);
    }

    /**
     * The rotary tables of every patch: the first half of each head's rotary features turn with its row, the
     * second with its column; the processor's patches come in merge x merge windows, row-major within and between.
     *
     * @param order the patches' order in the blocks, or null for the processor's
     * @return cos and sin (1, N, D)
     */
    private NDArray[] rotary(NDManager m, long[][] grids, long[] order, NDArray like) {
        int d = v.headDim();
        int quarter = d / 4; // frequencies per axis
        float[] inverse = new float[quarter];
        for (int j = 0; j < quarter; j++) {
            inverse[j] = (float) (1.0 / Math.pow(ROTARY_THETA, (2.0 * j) / (d / 2.0)));
        }
        List<float[]> rows = new ArrayList<>();
        int merge = v.mergeSize();
        for (long[] g : grids) {
            for (long t = 0; t < g[0]; t++) {
                for (long bh = 0; bh < g[1] / merge; bh++) {
                    for (long bw = 0; bw < g[2] / merge; bw++) {
                        for (int ih = 0; ih < merge; ih++) {
                            for (int iw = 0; iw < merge; iw++) {
                                rows.add(new float[] {bh * merge + ih, bw * merge + iw});
                            }
                        }
                    }
                }
            }
        }
        float[] cos = new float[rows.size() * d];
        float[] sin = new float[rows.size() * d];
        for (int n = 0; n < rows.size(); n++) {
            float[] at = rows.get(order == null ? n : Math.toIntExact(order[n]));
            for (int axis = 0; axis < 2; axis++) {
                for (int j = 0; j < quarter; j++) {
                    float angle = at[axis] * inverse[j]; // float32, as transformers computes it
                    int feature = axis * quarter + j;
                    for (int copy = 0; copy < 2; copy++) { // emb = cat(freqs, freqs)
                        cos[n * d + copy * (d / 2) + feature] = (float) Math.cos(angle);
                        sin[n * d + copy * (d / 2) + feature] = (float) Math.sin(angle);
                    }
                }
            }
        }
        Shape shape = new Shape(1, rows.size(), d);
        return new NDArray[] {
            m.create(cos, shape).toType(like.getDataType(), false),
            m.create(sin, shape).toType(like.getDataType(), false)
        };
    }

    /** x·cos + rotate_half(x)·sin over the last axis. @param x (heads, N, D) */
    private static NDArray rotate(NDArray x, NDArray[] cosSin) {
        long half = x.getShape().getLastDimension() / 2;
        NDArray first = x.get(new NDIndex("..., :{}", half));
        NDArray second = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = second.neg().concat(first, -1); // (heads, N, D)
        return x.mul(cosSin[0]).add(rotated.mul(cosSin[1]));
    }

    /** The {@code fc1}/{@code fc2} MLP's activation, and the merger's exact GELU. */
    static NDArray activation(String name, NDArray x) {
        return switch (name) {
            case "quick_gelu" -> x.mul(Activation.sigmoid(Scalars.mul(x, 1.702f)));
            // exact (erf) GELU, torch's nn.GELU(): 0.5·x·(1 + erf(x / sqrt 2))
            case "gelu" ->
                Scalars.mul(
                        x.mul(Scalars.add(
                                Scalars.mul(x, (float) (1 / Math.sqrt(2))).erf(), 1f)),
                        0.5f);
            case "silu" -> x.mul(Activation.sigmoid(x));
            // tanh GELU: 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))
            case "gelu_pytorch_tanh" ->
                Scalars.mul(x, 0.5f)
                        .mul(Scalars.add(
                                Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715f)), (float)
                                                Math.sqrt(2 / Math.PI))
                                        .tanh(),
                                1f));
            default -> throw new IllegalArgumentException("vision activation '" + name + "' is not supported");
        };
    }

    /** One pre-norm block: {@code h + attn(norm1(h))}, then {@code h + mlp(norm2(h))}. */
    private final class Block {
        final int index;
        final Norm norm1;
        final Projection qkv;
        final Projection proj;
        final Norm norm2;
        final FeedForward mlp;

        Block(Parameters p, String module, int index) {
            this.index = index;
            int e = v.embedDim();
            NormFactory norms = norms(v);
            norm1 = norms.create(p, module + ".norm1", e);
            norm2 = norms.create(p, module + ".norm2", e);
            qkv = p.linear(module + ".attn.qkv", e, 3L * e, true);
            proj = p.linear(module + ".attn.proj", e, e, true);
            mlp = v.gatedMlp()
                    ? Blocks.gatedMlp(v.mlpDim(), true, false, v.activation()).create(p, module + ".mlp", index, e)
                    : plainMlp(p, module + ".mlp", e);
        }

        /** Qwen2-VL's {@code fc2(act(fc1(x)))}, Qwen3-VL's {@code linear_fc2(act(linear_fc1(x)))}. */
        private FeedForward plainMlp(Parameters p, String module, int e) {
            String names = v.qwen3() ? ".linear_fc" : ".fc";
            Projection fc1 = p.linear(module + names + "1", e, v.mlpDim(), true);
            Projection fc2 = p.linear(module + names + "2", v.mlpDim(), e, true);
            return (x, adapter) -> fc2.forward(activation(v.activation(), fc1.forward(x, adapter)), adapter);
        }

        /** (N, E) to (N, E). @param spans the boundaries, in patches, of the groups that attend among themselves */
        NDArray forward(NDArray h, NDArray[] cosSin, long[] spans, String adapter) {
            h = h.add(attention(norm1.forward(h), cosSin, spans, adapter));
            return h.add(mlp.forward(norm2.forward(h), adapter));
        }

        /** Bidirectional attention within each span. (N, E) to (N, E). */
        private NDArray attention(NDArray x, NDArray[] cosSin, long[] spans, String adapter) {
            long n = x.getShape().get(0);
            int heads = v.heads();
            int d = v.headDim();
            NDArray split = qkv.forward(x, adapter).reshape(n, 3, heads, d).transpose(1, 2, 0, 3); // (3, heads, N, D)
            NDArray q = rotate(split.get(0), cosSin); // (heads, N, D)
            NDArray k = rotate(split.get(1), cosSin);
            NDArray value = split.get(2);
            NDList parts = new NDList();
            float scale = (float) (1 / Math.sqrt(d));
            for (int s = 0; s + 1 < spans.length; s++) {
                NDIndex span = new NDIndex(":, {}:{}, :", spans[s], spans[s + 1]);
                parts.add(AttentionMath.attend(
                                q.get(span).expandDims(0),
                                k.get(span).expandDims(0),
                                value.get(span).expandDims(0),
                                null,
                                scale)
                        .squeeze(0)); // (span, heads·D)
            }
            NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0); // (N, heads·D)
            return proj.forward(out, adapter);
        }
    }
}
