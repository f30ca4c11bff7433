package dev.osprey.models.minicpm;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * MiniCPM ({@code MiniCPMForCausalLM}, model_type {@code minicpm}; remote code on the Hub: MiniCPM-1B/2B,
 * MiniCPM-2B-128k, MiniCPM4): Llama's decoder and names with the µP scalings of its own code: the embeddings times
 * {@code scale_emb}, each attention and MLP output times {@code scale_depth / sqrt(num_hidden_layers)} before its
 * residual sum, and the final hidden state divided by {@code hidden_size / dim_model_base} before the (usually tied)
 * head; {@code longrope} is MiniCPM's own ({@link MiniCpmLongRope}). MiniCPM4's InfLLM v2 sparse attention
 * ({@code sparse_config}) only acts beyond its {@code dense_len} tokens with flash-attn: it is not applied.
 */
@Component(service = ModelArchitecture.class)
public class MiniCpmArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of MiniCPM.
     *
     * @param common the fields every Llama-like model shares (tied head by default, as MiniCPM's config)
     * @param attentionBias {@code attention_bias}: biases on q, k, v and o
     * @param scaleEmb {@code scale_emb}
     * @param residualScale {@code scale_depth / sqrt(num_hidden_layers)}
     * @param headScale {@code dim_model_base / hidden_size}: what the final hidden state is multiplied by
     * @param rope the rotary embedding
     */
    record MiniCpmConfig(
            LlamaLikeConfig common,
            boolean attentionBias,
            double scaleEmb,
            double residualScale,
            double headScale,
            RotaryEmbedding rope) {

        static MiniCpmConfig from(ModelConfig c) {
            if (c.getInt(1, "pretraining_tp") != 1) {
                throw new IllegalArgumentException(c.source() + ": pretraining_tp " + c.getInt(1, "pretraining_tp")
                        + " is not supported (MiniCPM's code then skips the logit scaling); released models have 1");
            }
            int hidden = c.requireInt("hidden_size");
            int heads = c.requireInt("num_attention_heads");
            if (heads <= 0 || hidden % heads != 0) {
                throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden
                        + ") must be a positive multiple of num_attention_heads (" + heads + ")");
            }
            RotaryEmbedding rope = longRope(c, hidden / heads);
            LlamaLikeConfig common = LlamaLikeConfig.read(c, true, "silu");
            double dimModelBase = c.getDouble(1, "dim_model_base");
            if (!(dimModelBase > 0)) {
                throw new IllegalArgumentException(
                        c.source() + ": dim_model_base must be positive, was " + dimModelBase);
            }
            return new MiniCpmConfig(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    c.getDouble(1, "scale_emb"),
                    c.getDouble(1, "scale_depth") / Math.sqrt(common.layers()),
                    dimModelBase / hidden,
                    rope != null ? rope : common.rope());
        }

        /** MiniCPM's LongRoPE when {@code rope_scaling} says longrope, else null (the common kinds). */
        static RotaryEmbedding longRope(ModelConfig c, int headDim) {
            String type =
                    c.getString("rope_scaling.rope_type", "rope_scaling.type").orElse("");
            if (!type.equals("longrope")) {
                return null;
            }
            double[] shortFactor = factors(c, "rope_scaling.short_factor", headDim);
            double[] longFactor = factors(c, "rope_scaling.long_factor", headDim);
            int max = c.requireInt("max_position_embeddings");
            int original = c.requireInt("rope_scaling.original_max_position_embeddings");
            return new MiniCpmLongRope(
                    c.getDouble(10000.0, "rope_theta"), headDim, max, original, shortFactor, longFactor);
        }

        private static double[] factors(ModelConfig c, String key, int headDim) {
            List<?> values = c.get(key)
                    .filter(List.class::isInstance)
                    .map(List.class::cast)
                    .orElse(List.of());
            if (values.size() != headDim / 2) {
                throw new IllegalArgumentException(
                        c.source() + ": " + key + " must hold " + headDim / 2 + " numbers, has " + values.size());
            }
            return values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
        }

        DecoderLayout layout() {
            AttentionFactory attention = scaled(Blocks.attention(common.attention(attentionBias, attentionBias)));
            FeedForwardFactory mlp = scaled(common.gatedMlp(false));
            NormFactory norm = common.rmsNorm();
            NormFactory finalNorm = (parameters, module, size) -> {
                Norm inner = norm.create(parameters, module, size);
                return x -> Scalars.mul(inner.forward(x), headScale); // (B, T, H), divided by hidden / dim_model_base
            };
            DecoderLayout plain =
                    common.layout(attention, mlp).withEmbeddingScale(scaleEmb).withRope(rope);
            return new DecoderLayout(
                    plain.vocabSize(),
                    plain.hiddenSize(),
                    plain.layers(),
                    plain.initStd(),
                    plain.tieWordEmbeddings(),
                    plain.embeddingScale(),
                    plain.rope(),
                    plain.slidingWindow(),
                    plain.keys(),
                    plain.inputNorm(),
                    plain.attention(),
                    plain.postAttentionNorm(),
                    plain.feedForward(),
                    finalNorm);
        }

        private AttentionFactory scaled(AttentionFactory inner) {
            return (parameters, module, layer, hidden) -> {
                Attention attention = inner.create(parameters, module, layer, hidden);
                return (x, context) -> Scalars.mul(attention.forward(x, context), residualScale); // (B, T, H)
            };
        }

        private FeedForwardFactory scaled(FeedForwardFactory inner) {
            return (parameters, module, layer, hidden) -> {
                FeedForward feedForward = inner.create(parameters, module, layer, hidden);
                return (x, adapter) -> Scalars.mul(feedForward.forward(x, adapter), residualScale); // (B, T, H)
            };
        }
    }

    @Override
    public String name() {
        return "minicpm";
    }

    @Override
    public String description() {
        return "MiniCPM-1B/2B (sft, dpo, 128k) and MiniCPM4-0.5B/8B";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MiniCPMForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return MiniCpmConfig.from(config).layout();
    }
}
