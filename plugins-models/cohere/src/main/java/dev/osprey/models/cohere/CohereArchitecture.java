package dev.osprey.models.cohere;

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
import dev.osprey.model.spi.InterleavedRope;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.QkNorms;

/**
 * Cohere (Command R / R+, Aya; {@code CohereForCausalLM}): one bias-free LayerNorm per layer feeds attention and
 * the gated MLP in parallel ({@link ParallelBlock}), the rotary embedding rotates neighbouring pairs
 * ({@link InterleavedRope}), the logits are multiplied by {@code logit_scale} ({@link LogitScale}), and with
 * {@code use_qk_norm} queries and keys get a per-head LayerNorm before RoPE. {@code attention_bias} puts biases on
 * q, k, v and o.
 */
@Component(service = ModelArchitecture.class)
public class CohereArchitecture extends DecoderFamily {

    /** Cohere's default {@code layer_norm_eps}. */
    static final double DEFAULT_EPS = 1e-5;

    /** Cohere's default {@code logit_scale}. */
    static final double DEFAULT_LOGIT_SCALE = 0.0625;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of cohere.
     *
     * @param common the fields every Llama-like model shares (its {@code rms_norm_eps} unused)
     * @param eps {@code layer_norm_eps}
     * @param logitScale {@code logit_scale}
     * @param attentionBias {@code attention_bias}: biases on q, k, v and o
     * @param qkNorm {@code use_qk_norm}
     */
    record CohereConfig(LlamaLikeConfig common, double eps, double logitScale, boolean attentionBias, boolean qkNorm) {

        static CohereConfig from(ModelConfig c) {
            // Cohere ties the head to the embeddings unless told otherwise
            LlamaLikeConfig common = LlamaLikeConfig.read(c, true, "silu");
            double eps = c.getDouble(DEFAULT_EPS, "layer_norm_eps");
            if (!(eps > 0)) {
                throw new IllegalArgumentException(c.source() + ": layer_norm_eps must be positive, was " + eps);
            }
            double scale = c.getDouble(DEFAULT_LOGIT_SCALE, "logit_scale");
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException(c.source() + ": logit_scale must be positive, was " + scale);
            }
            return new CohereConfig(
                    common, eps, scale, c.getBoolean(false, "attention_bias"), c.getBoolean(false, "use_qk_norm"));
        }

        DecoderLayout layout() {
            AttentionSpec spec = common.attention(attentionBias, attentionBias);
            if (qkNorm) {
                // q_norm: (heads, D), k_norm: (kvHeads, D); before RoPE, as transformers applies them
                spec = spec.withQkNorms(new QkNorms(
                        "q_norm", "k_norm", false, CohereLayerNorm.qkNorms(eps, common.heads(), common.kvHeads())));
            }
            AttentionFactory parallel = ParallelBlock.attentionAndMlp(Blocks.attention(spec), common.gatedMlp(false));
            NormFactory norm = CohereLayerNorm.factory(eps);
            DecoderLayout plain = common.layout(parallel, ParallelBlock.NOTHING);
            return new DecoderLayout(
                    plain.vocabSize(),
                    plain.hiddenSize(),
                    plain.layers(),
                    plain.initStd(),
                    plain.tieWordEmbeddings(),
                    plain.embeddingScale(),
                    new InterleavedRope(common.rope(), common.headDim()),
                    plain.slidingWindow(),
                    plain.keys(),
                    norm,
                    parallel,
                    ParallelBlock.IDENTITY,
                    ParallelBlock.NOTHING,
                    LogitScale.finalNorm(norm, logitScale));
        }
    }

    @Override
    public String name() {
        return "cohere";
    }

    @Override
    public String description() {
        return "Cohere Command R / R+ and Aya (parallel attention and MLP, scaled logits)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("CohereForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return CohereConfig.from(config).layout();
    }
}
