package dev.osprey.models.siglip;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.AttentionMath;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/**
 * SigLIP's vision encoder ({@code SiglipVisionModel} without the pooling head, as PaliGemma and Gemma 3 use it):
 * a patch embedding (a Conv2d whose kernel equals its stride, so a linear map of each patch's C·P·P pixels), a learned
 * position per patch, pre-LayerNorm encoder layers of bidirectional attention over the image and a
 * {@code fc1}/{@code fc2} MLP with tanh GELU, and a final {@code post_layernorm}. Its parameters are under
 * {@code PREFIX.embeddings}, {@code PREFIX.encoder.layers.N} and {@code PREFIX.post_layernorm}, as the Hub's
 * checkpoints name them under {@code vision_tower.vision_model}.
 */
public final class SiglipVisionTower {

    private final SiglipConfig config;
    private final Weight patchWeight;
    private final Weight patchBias;
    private final Weight positions;
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final Norm postLayerNorm;

    /** @param prefix the tower's module, e.g. {@code vision_tower.vision_model} */
    public SiglipVisionTower(Parameters p, String prefix, SiglipConfig config) {
        this.config = config;
        int h = config.hidden();
        int patch = config.patchSize();
        patchWeight = p.normal(prefix + ".embeddings.patch_embedding.weight", h, config.channels(), patch, patch);
        patchBias = p.zeros(prefix + ".embeddings.patch_embedding.bias", h);
        positions = p.normal(prefix + ".embeddings.position_embedding.weight", config.patches(), h);
        NormFactory norm = SiglipLayerNorm.factory(config.layerNormEps());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(new EncoderLayer(p, prefix + ".encoder.layers." + i, norm));
        }
        postLayerNorm = norm.create(p, prefix + ".post_layernorm", h);
    }

    public SiglipConfig config() {
        return config;
    }

    /**
     * @param pixels (N, C, S, S) the processor's {@code pixel_values}, S the config's {@code image_size}
     * @param adapter the LoRA adapter, or null
     * @return (N, patches, hidden) the last hidden state, after {@code post_layernorm}
     * @throws IllegalArgumentException when the pixels are not of that shape
     */
    public NDArray encode(NDArray pixels, String adapter) {
        List<NDArray> last = hiddenStates(pixels, List.of(config.layers()), adapter);
        return postLayerNorm.forward(last.get(0)); // (N, h·w, H)
    }

    /**
     * transformers' {@code hidden_states} of the encoder, as LLaVA-OneVision reads its SigLIP tower: index 0 the
     * embeddings, i the output of layer i (negative from the end), all before {@code post_layernorm}.
     *
     * @param pixels (N, C, S, S) the processor's {@code pixel_values}, S the config's {@code image_size}
     * @param indices the states wanted, in the order returned
     * @param adapter the LoRA adapter, or null
     * @return per index (N, patches, hidden)
     * @throws IllegalArgumentException when the pixels are not of that shape or an index is out of range
     */
    public List<NDArray> hiddenStates(NDArray pixels, List<Integer> indices, String adapter) {
        int total = config.layers() + 1;
        int[] wanted = new int[indices.size()];
        int deepest = 0;
        for (int i = 0; i < wanted.length; i++) {
            int at = indices.get(i);
            wanted[i] = at < 0 ? at + total : at;
            if (wanted[i] < 0 || wanted[i] >= total) {
                throw new IllegalArgumentException("vision_feature_layer " + at + " is outside the tower's " + total
                        + " hidden states (vision_config.num_hidden_layers + 1)");
            }
            deepest = Math.max(deepest, wanted[i]);
        }
        int c = config.channels();
        int s = config.imageSize();
        int patch = config.patchSize();
        int side = config.patchesPerSide();
        if (pixels.getShape().dimension() != 4
                || pixels.getShape().get(1) != c
                || pixels.getShape().get(2) != s
                || pixels.getShape().get(3) != s) {
            throw new IllegalArgumentException("pixel_values must be (images, " + c + ", " + s + ", " + s
                    + ") for this vision tower (vision_config.num_channels, image_size), was " + pixels.getShape());
        }
        long n = pixels.getShape().get(0);
        NDArray weight = patchWeight.get();
        NDArray patches = pixels.toType(weight.getDataType(), false)
                .reshape(n, c, side, patch, side, patch) // (N, C, h, P, w, P)
                .transpose(0, 2, 4, 1, 3, 5) // (N, h, w, C, P, P)
                .reshape(n, (long) side * side, (long) c * patch * patch); // (N, h·w, C·P·P)
        NDArray flatWeight = weight.reshape(config.hidden(), (long) c * patch * patch); // (H, C·P·P)
        NDArray h = patches.matMul(flatWeight.transpose()).add(patchBias.get()); // (N, h·w, H), row-major patches
        h = h.add(positions.get()); // (N, h·w, H)
        NDArray[] states = new NDArray[deepest + 1];
        states[0] = h;
        for (int i = 0; i < deepest; i++) {
            EncoderLayer layer = layers.get(i);
            NDArray in = h;
            h = Blocks.freeingIntermediates(() -> layer.forward(in, adapter)); // (N, h·w, H)
            states[i + 1] = h;
        }
        List<NDArray> out = new ArrayList<>();
        for (int at : wanted) {
            out.add(states[at]);
        }
        return out;
    }

    /** One pre-norm layer: {@code h + attn(layer_norm1(h))}, then {@code h + mlp(layer_norm2(h))}. */
    private final class EncoderLayer {
        final Norm norm1;
        final Projection q;
        final Projection k;
        final Projection v;
        final Projection out;
        final Norm norm2;
        final Projection fc1;
        final Projection fc2;

        EncoderLayer(Parameters p, String module, NormFactory norm) {
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
            h = h.add(attention(norm1.forward(h), adapter));
            return h.add(fc2.forward(activation(fc1.forward(norm2.forward(h), adapter)), adapter));
        }

        /** Every patch of an image sees every other. (N, T, H) to (N, T, H). */
        private NDArray attention(NDArray x, String adapter) {
            int heads = config.heads();
            int d = config.headDim();
            NDArray query = AttentionMath.byHead(q.forward(x, adapter), heads, d); // (N, heads, T, D)
            NDArray key = AttentionMath.byHead(k.forward(x, adapter), heads, d);
            NDArray value = AttentionMath.byHead(v.forward(x, adapter), heads, d);
            NDArray attended =
                    AttentionMath.attend(query, key, value, null, (float) (1 / Math.sqrt(d))); // (N, T, heads·D)
            return out.forward(attended, adapter);
        }
    }

    /** {@code hidden_act}: tanh-approximated GELU ({@code gelu_pytorch_tanh}) or exact GELU ({@code gelu}). */
    private NDArray activation(NDArray x) {
        if (config.activation().equals("gelu")) {
            // 0.5·x·(1 + erf(x / sqrt 2))
            return Scalars.mul(
                    x.mul(Scalars.add(Scalars.mul(x, (float) (1 / Math.sqrt(2))).erf(), 1f)), 0.5f);
        }
        // 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))
        NDArray inner = Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715f)), (float) Math.sqrt(2 / Math.PI));
        return Scalars.mul(x, 0.5f).mul(Scalars.add(inner.tanh(), 1f));
    }
}
