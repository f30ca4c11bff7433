package dev.osprey.models.gemma;

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

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}): Gemma's decoder (RMSNorm by 1 + w, embeddings times sqrt(H), GeGLU)
 * with a norm before and after each block ({@link SandwichNorms}), attention scaled by
 * {@code query_pre_attn_scalar} and soft-capped at {@code attn_logit_softcapping}, sliding-window and
 * global layers alternating ({@code layer_types}, {@code sliding_window}; {@link SoftCappedAttention}), and
 * the logits soft-capped at {@code final_logit_softcapping}.
 */
@Component(service = ModelArchitecture.class)
public class Gemma2Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of gemma2.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param attentionScale {@code query_pre_attn_scalar^-1/2}
     * @param attentionSoftcap {@code attn_logit_softcapping} (default 50), 0 for none
     * @param finalSoftcap {@code final_logit_softcapping} (default 30), 0 for none
     * @param slidingWindow {@code sliding_window} (default 4096), 0 for none
     * @param sliding per layer, whether it attends through the window ({@code layer_types}; default: every other)
     */
    record Gemma2Config(
            LlamaLikeConfig common,
            boolean attentionBias,
            double attentionScale,
            double attentionSoftcap,
            double finalSoftcap,
            int slidingWindow,
            boolean[] sliding) {

        static Gemma2Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, true, "gelu_pytorch_tanh");
            return new Gemma2Config(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    GemmaFields.attentionScale(c),
                    GemmaFields.softcap(c, "attn_logit_softcapping", 50.0),
                    GemmaFields.softcap(c, "final_logit_softcapping", 30.0),
                    GemmaFields.slidingWindow(c),
                    GemmaFields.slidingLayers(c, common.layers(), 2));
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(common.rmsEps(), 1f);
            AttentionSpec spec = common.attention(attentionBias, attentionBias);
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
                    .withEmbeddingScale(Math.sqrt(common.hiddenSize()));
            return SandwichNorms.around(gemma, norm);
        }
    }

    @Override
    public String name() {
        return "gemma2";
    }

    @Override
    public String description() {
        return "Gemma 2 (2B, 9B, 27B): sandwich norms, soft-capped attention and logits, local and global layers";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Gemma2ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Gemma2Config.from(config).layout();
    }

    @Override
    public double finalLogitSoftcap(ModelConfig config) {
        return Gemma2Config.from(config).finalSoftcap();
    }
}
