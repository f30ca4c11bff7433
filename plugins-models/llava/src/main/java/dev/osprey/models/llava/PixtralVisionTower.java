package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * Pixtral's vision encoder ({@code PixtralVisionModel}, Mistral 3's and Pixtral's tower): each image at its own size
 * ({@code image_sizes}; the padding of the batch is cut off), a patch embedding without bias (a Conv2d whose kernel
 * equals its stride, so a linear map of each patch's C·P·P pixels), {@code ln_pre} (RMSNorm), then pre-RMSNorm layers
 * of attention with 2-D rotary positions (a patch's row turns the even frequencies, its column the odd ones) and a
 * gated MLP; the patches of every image form one sequence in which each image attends only to itself. Parameters are
 * under {@code PREFIX.patch_conv}, {@code PREFIX.ln_pre} and {@code PREFIX.transformer.layers.N}.
 */
final class PixtralVisionTower implements VisionEncoder {

    private static final double NORM_EPS = 1e-5;

    private final PixtralConfig config;
    private final Weight patchConv;
    private final Norm lnPre;
    private final List<Layer> layers = new ArrayList<>();

    /** @param prefix the tower's module, {@code vision_tower} */
    PixtralVisionTower(Parameters p, String prefix, PixtralConfig config) {
        this.config = config;
        int patch = config.patchSize();
        patchConv = p.normal(prefix + ".patch_conv.weight", config.hidden(), config.channels(), patch, patch);
        NormFactory norm = Blocks.rmsNorm(NORM_EPS, 0f);
        lnPre = norm.create(p, prefix + ".ln_pre", config.hidden());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new Layer(p, prefix + ".transformer.layers." + i, norm));
        }
    }

    @Override
    public int hiddenSize() {
        return config.hidden();
    }

    @Override
    public long[][] patchGrids(NDArray pixels, long[][] sizes) {
        Shape shape = pixels.getShape();
        if (shape.dimension() != 4 || shape.get(1) != config.channels()) {
            throw new IllegalArgumentException("pixel_values must be (images, " + config.channels()
                    + ", height, width) for the Pixtral tower, was " + shape);
        }
        int n = Math.toIntExact(shape.get(0));
        if (sizes != null && sizes.length != n) {
            throw new IllegalArgumentException(
                    "image_sizes has " + sizes.length + " rows for " + n + " images in pixel_values");
        }
        long[][] grids = new long[n][];
        int patch = config.patchSize();
        int most = config.patchesPerSide();
        for (int i = 0; i < n; i++) {
            long h = sizes == null ? shape.get(2) : sizes[i][0];
            long w = sizes == null ? shape.get(3) : sizes[i][1];
            if (h > shape.get(2) || w > shape.get(3) || h < patch || w < patch) {
                throw new IllegalArgumentException("image " + i + " is " + h + " x " + w
                        + " pixels (image_sizes) in pixel_values of " + shape.get(2) + " x " + shape.get(3)
                        + " with patches of " + patch);
            }
            grids[i] = new long[] {h / patch, w / patch};
            if (grids[i][0] > most || grids[i][1] > most) {
                throw new IllegalArgumentException("image " + i + " is " + h + " x " + w
                        + " pixels, larger than vision_config.image_size " + config.imageSize());
            }
        }
        return grids;
    }

    @Override
    public List<NDArray> hiddenStates(NDArray pixels, long[][] sizes, List<Integer> wanted, String adapter) {
        long[][] grids = patchGrids(pixels, sizes);
        int c = config.channels();
        int patch = config.patchSize();
        NDArray weight = patchConv.get().reshape(config.hidden(), (long) c * patch * patch); // (H, C·P·P)
        NDList perImage = new NDList();
        long[] spans = new long[grids.length + 1];
        for (int i = 0; i < grids.length; i++) {
            long rows = grids[i][0];
            long columns = grids[i][1];
            NDArray image = pixels.get(new NDIndex("{}, :, :{}, :{}", i, rows * patch, columns * patch))
                    .toType(weight.getDataType(), false); // (C, rows·P, columns·P)
            perImage.add(image.reshape(c, rows, patch, columns, patch) // (C, rows, P, columns, P)
                    .transpose(1, 3, 0, 2, 4) // (rows, columns, C, P, P)
                    .reshape(rows * columns, (long) c * patch * patch)); // (patches, C·P·P), row-major
            spans[i + 1] = spans[i] + rows * columns;
        }
        NDArray flat = perImage.size() == 1 ? perImage.get(0) : NDArrays.concat(perImage, 0); // (N, C·P·P)
        NDArray h = lnPre.forward(flat.matMul(weight.transpose())); // (N, H)
        NDArray[] cosSin = rotary(pixels.getManager(), grids, h);

        List<Integer> indices = LayerIndices.resolve(wanted, layers.size());
        int last = indices.stream().mapToInt(Integer::intValue).max().orElseThrow();
        NDArray[] states = new NDArray[last + 1];
        states[0] = h;
        for (int i = 0; i < last; i++) {
            Layer layer = layers.get(i);
            NDArray in = h;
            h = Blocks.freeingIntermediates(() -> layer.forward(in, cosSin, spans, adapter));
            states[i + 1] = h;
        }
        NDList chosen = new NDList();
        for (int index : indices) {
            chosen.add(states[index]);
        }
        NDArray selected = chosen.size() == 1 ? chosen.get(0) : NDArrays.concat(chosen, -1); // (N, H·layers)
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < grids.length; i++) {
            out.add(selected.get(new NDIndex("{}:{}", spans[i], spans[i + 1])));
        }
        return out;
    }

    /**
     * cos and sin (1, N, D) of every patch: feature j below D/4 turns by row · θ^(-4j/D), feature j from D/4 to D/2
     * by column · θ^(-(4(j - D/4) + 2)/D), each repeated in the second half ({@code PixtralRotaryEmbedding}).
     */
    private NDArray[] rotary(NDManager m, long[][] grids, NDArray like) {
        int d = config.headDim();
        int half = d / 2;
        int quarter = d / 4;
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++) {
            freqs[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / d));
        }
        long n = 0;
        for (long[] g : grids) {
            n += g[0] * g[1];
        }
        float[] cos = new float[Math.toIntExact(n * d)];
        float[] sin = new float[cos.length];
        int at = 0;
        for (long[] g : grids) {
            for (long r = 0; r < g[0]; r++) {
                for (long col = 0; col < g[1]; col++) {
                    for (int j = 0; j < half; j++) {
                        float angle = j < quarter ? r * freqs[2 * j] : col * freqs[2 * (j - quarter) + 1]; // float32
                        cos[at * d + j] = (float) Math.cos(angle);
                        cos[at * d + half + j] = cos[at * d + j];
                        sin[at * d + j] = (float) Math.sin(angle);
                        sin[at * d + half + j] = sin[at * d + j];
                    }
                    at++;
                }
            }
        }
        Shape shape = new Shape(1, n, d);
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

    /** {@code h + attention(attention_norm(h))}, then {@code h + feed_forward(ffn_norm(h))}. */
    private final class Layer {
        final Norm attentionNorm;
        final Projection q;
        final Projection k;
        final Projection v;
        final Projection o;
        final Norm ffnNorm;
        final Projection gate;
        final Projection up;
        final Projection down;

        Layer(Parameters p, String module, NormFactory norm) {
            int h = config.hidden();
            attentionNorm = norm.create(p, module + ".attention_norm", h);
            q = p.linear(module + ".attention.q_proj", h, h, false);
            k = p.linear(module + ".attention.k_proj", h, h, false);
            v = p.linear(module + ".attention.v_proj", h, h, false);
            o = p.linear(module + ".attention.o_proj", h, h, false);
            ffnNorm = norm.create(p, module + ".ffn_norm", h);
            gate = p.linear(module + ".feed_forward.gate_proj", h, config.intermediate(), false);
            up = p.linear(module + ".feed_forward.up_proj", h, config.intermediate(), false);
            down = p.linear(module + ".feed_forward.down_proj", config.intermediate(), h, false);
        }

        /** (N, H) to (N, H). @param spans each image's first patch, and the end */
        NDArray forward(NDArray h, NDArray[] cosSin, long[] spans, String adapter) {
            h = h.add(attention(attentionNorm.forward(h), cosSin, spans, adapter));
            NDArray x = ffnNorm.forward(h);
            NDArray gated = Activations.apply(config.activation(), gate.forward(x, adapter))
                    .mul(up.forward(x, adapter)); // (N, I)
            return h.add(down.forward(gated, adapter));
        }

        /** Bidirectional attention within each image. (N, H) to (N, H). */
        private NDArray attention(NDArray x, NDArray[] cosSin, long[] spans, String adapter) {
            long n = x.getShape().get(0);
            int heads = config.heads();
            int d = config.headDim();
            NDArray query =
                    rotate(q.forward(x, adapter).reshape(n, heads, d).transpose(1, 0, 2), cosSin); // (heads, N, D)
            NDArray key = rotate(k.forward(x, adapter).reshape(n, heads, d).transpose(1, 0, 2), cosSin);
            NDArray value = v.forward(x, adapter).reshape(n, heads, d).transpose(1, 0, 2);
            NDList parts = new NDList();
            float scale = (float) (1 / Math.sqrt(d));
            for (int s = 0; s + 1 < spans.length; s++) {
                NDIndex span = new NDIndex(":, {}:{}, :", spans[s], spans[s + 1]);
                parts.add(AttentionMath.attend(
                                query.get(span).expandDims(0),
                                key.get(span).expandDims(0),
                                value.get(span).expandDims(0),
                                null,
                                scale)
                        .squeeze(0)); // (span, heads·D)
            }
            NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0); // (N, heads·D)
            return o.forward(out, adapter);
        }
    }
}
