package dev.osprey.models.gemma;

import java.util.Locale;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.QkNorms;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * Gemma 3's text model ({@code Gemma3ForCausalLM}, model_type {@code gemma3_text}): Gemma 2's layer
 * ({@link SandwichNorms}, {@code query_pre_attn_scalar}, local and global layers) with per-head q/k
 * RMSNorms before RoPE, no attention soft cap by default, and a rotary base per kind of layer
 * ({@link LocalGlobalRope}): {@code rope_local_base_freq} for the local layers, {@code rope_theta} with
 * linear {@code rope_scaling} for the global ones (or, as transformers 5 writes them,
 * {@code rope_parameters.sliding_attention} and {@code rope_parameters.full_attention}).
 */
@Component(service = ModelArchitecture.class)
public class Gemma3TextArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of gemma3_text.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param attentionScale {@code query_pre_attn_scalar^-1/2}
     * @param attentionSoftcap {@code attn_logit_softcapping} (default none), 0 for none
     * @param slidingWindow {@code sliding_window} (default 4096), 0 for none
     * @param sliding per layer, whether it is local ({@code layer_types}; default: five of every six)
     * @param rope the local and global rotary embeddings
     */
    record Gemma3TextConfig(
            LlamaLikeConfig common,
            boolean attentionBias,
            double attentionScale,
            double attentionSoftcap,
            int slidingWindow,
            boolean[] sliding,
            RotaryEmbedding rope) {

        static Gemma3TextConfig from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, true, "gelu_pytorch_tanh");
            boolean[] sliding = GemmaFields.slidingLayers(c, common.layers(), 6);
            return new Gemma3TextConfig(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    GemmaFields.attentionScale(c),
                    GemmaFields.softcap(c, "attn_logit_softcapping", 0),
                    GemmaFields.slidingWindow(c),
                    sliding,
                    rope(c, common.headDim(), sliding));
        }

        /**
         * Reads both spellings: {@code rope_parameters.{full,sliding}_attention} (transformers 5), or
         * {@code rope_theta}, {@code rope_local_base_freq} and {@code rope_scaling} (the Hub's checkpoints).
         */
        static RotaryEmbedding rope(ModelConfig c, int headDim, boolean[] sliding) {
            String full = "rope_parameters." + GemmaFields.FULL;
            String local = "rope_parameters." + GemmaFields.SLIDING;
            int maxPositions = c.getInt(131_072, "max_position_embeddings");
            double localTheta = c.getDouble(10_000.0, local + ".rope_theta", "rope_local_base_freq");
            String localType = c.getString(local + ".rope_type").orElse("default");
            if (!localType.equals("default")) {
                throw new IllegalArgumentException(c.source() + ": " + local + ".rope_type '" + localType
                        + "' is not supported; the local layers' rope must be default");
            }
            double globalTheta = c.getDouble(1_000_000.0, full + ".rope_theta", "rope_theta");
            String scaling = c.get(full).isPresent() ? full : "rope_scaling";
            String globalType = c.getString(scaling + ".rope_type", scaling + ".type")
                    .orElse("default")
                    .toLowerCase(Locale.ROOT);
            double factor = c.getDouble(1.0, scaling + ".factor");
            if (globalType.equals("default")) {
                factor = 1.0;
            } else if (!globalType.equals("linear")) {
                throw new IllegalArgumentException(c.source() + ": " + scaling + ".rope_type '" + globalType
                        + "' is not supported for Gemma 3; supported: default, linear");
            }
            if (!(factor > 0)) {
                throw new IllegalArgumentException(
                        c.source() + ": " + scaling + ".factor must be positive, was " + factor);
            }
            return new LocalGlobalRope(
                    Blocks.plainRope(localTheta, headDim, maxPositions),
                    Blocks.plainRope(globalTheta, headDim, maxPositions),
                    factor,
                    sliding);
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(common.rmsEps(), 1f);
            AttentionSpec spec = common.attention(attentionBias, attentionBias).withQkNorms(QkNorms.beforeRope(norm));
            AttentionFactory attention = (parameters, module, layer, hidden) -> new SoftCappedAttention(
                    parameters,
                    module,
                    hidden,
                    spec,
                    attentionScale,
                    attentionSoftcap,
                    sliding[layer] ? slidingWindow : 0);
            DecoderLayout gemma = common.layout(attention, common.gatedMlp(false))
                    .withNorms(norm)
                    .withEmbeddingScale(Math.sqrt(common.hiddenSize()))
                    .withRope(rope);
            return SandwichNorms.around(gemma, norm);
        }
    }

    @Override
    public String name() {
        return "gemma3_text";
    }

    @Override
    public String description() {
        return "Gemma 3 text models (270M, 1B; the text part of 4B, 12B, 27B): q/k norms, local and global rope";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Gemma3ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Gemma3TextConfig.from(config).layout();
    }

    @Override
    public double finalLogitSoftcap(ModelConfig config) {
        return GemmaFields.softcap(config, "final_logit_softcapping", 0);
    }
}
