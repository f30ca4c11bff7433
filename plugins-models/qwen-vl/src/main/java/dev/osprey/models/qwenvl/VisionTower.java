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
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * Qwen2-VL's vision encoder ({@code visual}, transformers' {@code Qwen2VisionTransformerPretrainedModel}): the
 * patch embedding (a Conv3d whose kernel equals its stride, so a linear map of each patch's C·T·P·P pixels),
 * pre-LayerNorm blocks of fused-q/k/v attention with 2-D rotary positions (each patch's row and column) and an MLP,
 * then the {@link PatchMerger}. Attention stays within each image or video: patches of different items never see
 * each other ({@code cu_seqlens}).
 */
final class VisionTower {

    /** The MLP activations ({@code vision_config.hidden_act}) it computes. */
    static final Set<String> ACTIVATIONS = Set.of("quick_gelu", "gelu", "silu");

    private static final double ROTARY_THETA = 10000.0;

    private final Qwen2VlConfig.VisionConfig v;
    private final Weight patchEmbed;
    private final List<Block> blocks = new ArrayList<>();
    private final PatchMerger merger;

    VisionTower(Parameters p, String module, Qwen2VlConfig.VisionConfig v) {
        this.v = v;
        this.patchEmbed = p.normal(
                module + ".patch_embed.proj.weight",
                v.embedDim(),
                v.channels(),
                v.temporalPatchSize(),
                v.patchSize(),
                v.patchSize());
        for (int i = 0; i < v.depth(); i++) {
            blocks.add(new Block(p, module + ".blocks." + i));
        }
        this.merger = new PatchMerger(p, module + ".merger", v);
    }

    /**
     * @param pixels (N, C·T·P·P) the processor's patches of every item, in order
     * @param grids per item its (t, h, w) in patches
     * @param adapter the LoRA adapter, or null
     * @return (N / merge², hidden) one embedding per placeholder token, in order
     */
    NDArray encode(NDArray pixels, long[][] grids, String adapter) {
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
        NDArray weight = patchEmbed.get().reshape(v.embedDim(), v.patchFeatures()); // (E, C·T·P·P)
        NDArray h = pixels.toType(weight.getDataType(), false).matMul(weight.transpose()); // (N, E)
        NDArray[] cosSin = rotary(pixels.getManager(), grids, weight);
        for (Block block : blocks) {
            h = block.forward(h, cosSin, grids, adapter);
        }
        return merger.forward(h, adapter);
    }

    /**
     * The rotary tables of every patch: the first half of each head's rotary features turn with its row, the
     * second with its column; patches come in merge x merge windows, row-major within and between windows.
     *
     * @return cos and sin (1, N, D)
     */
    private NDArray[] rotary(NDManager m, long[][] grids, NDArray like) {
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
            for (int axis = 0; axis < 2; axis++) {
                for (int j = 0; j < quarter; j++) {
                    float angle = rows.get(n)[axis] * inverse[j]; // float32, as transformers computes it
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

    /** The vision MLP's activation, and the merger's exact GELU. */
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
            default -> throw new IllegalArgumentException("vision activation '" + name + "' is not supported");
        };
    }

    /** One pre-LayerNorm block: {@code h + attn(norm1(h))}, then {@code h + mlp(norm2(h))}. */
    private final class Block {
        final VisionLayerNorm norm1;
        final Projection qkv;
        final Projection proj;
        final VisionLayerNorm norm2;
        final Projection fc1;
        final Projection fc2;

        Block(Parameters p, String module) {
            int e = v.embedDim();
            norm1 = new VisionLayerNorm(p, module + ".norm1", e);
            norm2 = new VisionLayerNorm(p, module + ".norm2", e);
            qkv = p.linear(module + ".attn.qkv", e, 3L * e, true);
            proj = p.linear(module + ".attn.proj", e, e, true);
            fc1 = p.linear(module + ".mlp.fc1", e, v.mlpDim(), true);
            fc2 = p.linear(module + ".mlp.fc2", v.mlpDim(), e, true);
        }

        /** (N, E) to (N, E). */
        NDArray forward(NDArray h, NDArray[] cosSin, long[][] grids, String adapter) {
            h = h.add(attention(norm1.forward(h), cosSin, grids, adapter));
            return h.add(fc2.forward(activation(v.activation(), fc1.forward(norm2.forward(h), adapter)), adapter));
        }

        /** Bidirectional attention within each item. (N, E) to (N, E). */
        private NDArray attention(NDArray x, NDArray[] cosSin, long[][] grids, String adapter) {
            long n = x.getShape().get(0);
            int heads = v.heads();
            int d = v.headDim();
            NDArray split = qkv.forward(x, adapter).reshape(n, 3, heads, d).transpose(1, 2, 0, 3); // (3, heads, N, D)
            NDArray q = rotate(split.get(0), cosSin); // (heads, N, D)
            NDArray k = rotate(split.get(1), cosSin);
            NDArray value = split.get(2);
            NDList items = new NDList();
            long from = 0;
            float scale = (float) (1 / Math.sqrt(d));
            for (long[] g : grids) {
                long to = from + g[0] * g[1] * g[2];
                NDIndex span = new NDIndex(":, {}:{}, :", from, to);
                items.add(AttentionMath.attend(
                                q.get(span).expandDims(0),
                                k.get(span).expandDims(0),
                                value.get(span).expandDims(0),
                                null,
                                scale)
                        .squeeze(0)); // (patches, heads·D)
                from = to;
            }
            NDArray out = items.size() == 1 ? items.get(0) : NDArrays.concat(items, 0); // (N, heads·D)
            return proj.forward(out, adapter);
        }
    }
}
