package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;
import dev.osprey.models.siglip.SiglipLayerNorm;

/**
 * CLIP's vision encoder ({@code CLIPVisionModel}, LLaVA 1.5's tower): a class token before the patch embedding
 * (a Conv2d without bias whose kernel equals its stride, so a linear map of each patch's C·P·P pixels), a learned
 * position per token, {@code pre_layrnorm}, then pre-LayerNorm encoder layers of bidirectional attention and a
 * {@code fc1}/{@code fc2} MLP ({@code quick_gelu}). {@code post_layernorm} is declared (the checkpoints hold it) but
 * LLaVA reads a hidden state before it. Parameters are under {@code PREFIX.embeddings}, {@code PREFIX.pre_layrnorm},
 * {@code PREFIX.encoder.layers.N} and {@code PREFIX.post_layernorm}, as the Hub's checkpoints name them under
 * {@code vision_tower.vision_model}.
 */
final class ClipVisionTower implements VisionEncoder {

    private static final String AT = "vision_config.";

    /**
     * {@code vision_config} of a {@code clip_vision_model}, transformers' defaults for what it leaves out.
     *
     * @param hidden {@code hidden_size}
     * @param intermediate {@code intermediate_size}
     * @param layers {@code num_hidden_layers}
     * @param heads {@code num_attention_heads}
     * @param channels {@code num_channels}
     * @param imageSize {@code image_size}: the one size it takes
     * @param patchSize {@code patch_size}
     * @param activation {@code hidden_act}
     * @param eps {@code layer_norm_eps}
     */
    record Config(
            int hidden,
            int intermediate,
            int layers,
            int heads,
            int channels,
            int imageSize,
            int patchSize,
            String activation,
            double eps) {

        Config {
            if (hidden % heads != 0) {
                throw new IllegalArgumentException(
                        AT + "hidden_size (" + hidden + ") must be a multiple of num_attention_heads (" + heads + ")");
            }
            if (imageSize % patchSize != 0) {
                throw new IllegalArgumentException(
                        AT + "image_size (" + imageSize + ") must be a multiple of patch_size (" + patchSize + ")");
            }
            Activations.check(activation, AT + "hidden_act");
        }

        static Config read(ModelConfig c) {
            return new Config(
                    c.getInt(768, AT + "hidden_size"),
                    c.getInt(3072, AT + "intermediate_size"),
                    c.getInt(12, AT + "num_hidden_layers"),
                    c.getInt(12, AT + "num_attention_heads"),
                    c.getInt(3, AT + "num_channels"),
                    c.getInt(224, AT + "image_size"),
                    c.getInt(32, AT + "patch_size"),
                    c.getString(AT + "hidden_act").orElse("quick_gelu"),
                    c.getDouble(1e-5, AT + "layer_norm_eps"));
        }

        int side() {
            return imageSize / patchSize;
        }
    }

    private final Config config;
    private final Weight classEmbedding;
    private final Weight patchEmbedding;
    private final Weight positions;
    private final Norm preLayerNorm;
    private final List<Layer> layers = new ArrayList<>();

    /** @param prefix the tower's module, {@code vision_tower.vision_model} */
    ClipVisionTower(Parameters p, String prefix, Config config) {
        this.config = config;
        int h = config.hidden();
        int patch = config.patchSize();
        classEmbedding = p.normal(prefix + ".embeddings.class_embedding", h);
        patchEmbedding = p.normal(prefix + ".embeddings.patch_embedding.weight", h, config.channels(), patch, patch);
        positions = p.normal(prefix + ".embeddings.position_embedding.weight", config.side() * config.side() + 1L, h);
        NormFactory norm = SiglipLayerNorm.factory(config.eps());
        preLayerNorm = norm.create(p, prefix + ".pre_layrnorm", h);
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new Layer(p, prefix + ".encoder.layers." + i, norm));
        }
        norm.create(p, prefix + ".post_layernorm", h); // in the checkpoint, after the states LLaVA reads
    }

    @Override
    public int hiddenSize() {
        return config.hidden();
    }

    @Override
    public long[][] patchGrids(NDArray pixels, long[][] sizes) {
        int c = config.channels();
        int s = config.imageSize();
        Shape shape = pixels.getShape();
        if (shape.dimension() != 4 || shape.get(1) != c || shape.get(2) != s || shape.get(3) != s) {
            throw new IllegalArgumentException("pixel_values must be (images, " + c + ", " + s + ", " + s
                    + ") for this CLIP tower (vision_config.num_channels, image_size), was " + shape);
        }
        long[][] grids = new long[Math.toIntExact(shape.get(0))][];
        for (int i = 0; i < grids.length; i++) {
            grids[i] = new long[] {config.side(), config.side()};
        }
        return grids;
    }

    /** Each image's states begin with its class token. */
    @Override
    public List<NDArray> hiddenStates(NDArray pixels, long[][] sizes, List<Integer> wanted, String adapter) {
        patchGrids(pixels, sizes);
        long n = pixels.getShape().get(0);
        int c = config.channels();
        int patch = config.patchSize();
        int side = config.side();
        int h = config.hidden();
        NDArray weight = patchEmbedding.get();
        NDArray patches = pixels.toType(weight.getDataType(), false)
                .reshape(n, c, side, patch, side, patch) // (N, C, h, P, w, P)
                .transpose(0, 2, 4, 1, 3, 5) // (N, h, w, C, P, P)
                .reshape(n, (long) side * side, (long) c * patch * patch); // (N, h·w, C·P·P)
        NDArray embedded =
                patches.matMul(weight.reshape(h, (long) c * patch * patch).transpose()); // (N, h·w, H)
        NDArray cls = classEmbedding.get().reshape(1, 1, h).repeat(0, n); // (N, 1, H)
        NDArray x = cls.concat(embedded, 1).add(positions.get()); // (N, 1 + h·w, H)
        x = preLayerNorm.forward(x);

        List<Integer> indices = LayerIndices.resolve(wanted, layers.size());
        int last = indices.stream().mapToInt(Integer::intValue).max().orElseThrow();
        NDArray[] states = new NDArray[last + 1];
        states[0] = x;
        for (int i = 0; i < last; i++) {
            Layer layer = layers.get(i);
            NDArray in = x;
            x = Blocks.freeingIntermediates(() -> layer.forward(in, adapter));
            states[i + 1] = x;
        }
        NDList chosen = new NDList();
        for (int index : indices) {
            chosen.add(states[index]);
        }
        NDArray selected = chosen.size() == 1 ? chosen.get(0) : NDArrays.concat(chosen, -1); // (N, 1 + h·w, H·k)
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(selected.get(new NDIndex("{}", i))); // (1 + h·w, H·k)
        }
        return out;
    }

    /** One pre-norm layer: {@code h + attn(layer_norm1(h))}, then {@code h + mlp(layer_norm2(h))}. */
    private final class Layer {
        final Norm norm1;
        final Projection q;
        final Projection k;
        final Projection v;
        final Projection out;
        final Norm norm2;
        final Projection fc1;
        final Projection fc2;

        Layer(Parameters p, String module, NormFactory norm) {
            int h = config.hidden();
            norm1 = norm.create(p, module + ".layer_norm1", h);
            q = p.linear(module + ".self_attn.q_proj", h, h, true);
            k = p.linear(module + ".self_attn.k_proj", h, h, true);
            v = p.linear(module + ".self_attn.v_proj", h, h, true);
            out = p.linear(module + ".self_attn.out_proj", h, h, true);
            norm2 = norm.create(p, module + ".layer_norm2", h);
            fc1 = p.linear(module + ".mlp.fc1", h, config.intermediate(), true);
            fc2 = p.linear(module + ".mlp.fc2", config.intermediate(), h, true);
        }

        /** (N, T, H) to (N, T, H). */
        NDArray forward(NDArray h, String adapter) {
            NDArray x = norm1.forward(h);
            int heads = config.heads();
            int d = config.hidden() / heads;
            NDArray query = AttentionMath.byHead(q.forward(x, adapter), heads, d); // (N, heads, T, D)
            NDArray key = AttentionMath.byHead(k.forward(x, adapter), heads, d);
            NDArray value = AttentionMath.byHead(v.forward(x, adapter), heads, d);
            NDArray attended = AttentionMath.attend(query, key, value, null, (float) (1 / Math.sqrt(d))); // (N, T, H)
            h = h.add(out.forward(attended, adapter));
            NDArray inner = Activations.apply(config.activation(), fc1.forward(norm2.forward(h), adapter));
            return h.add(fc2.forward(inner, adapter));
        }
    }
}
