package dev.osprey.models.minimax;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MixtureOfExperts;
import dev.osprey.model.spi.ProjectionNormedAttention;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * MiniMax-M2 ({@code MiniMaxM2ForCausalLM}: M2, M2.1, M2.5): grouped-query attention whose q and k are RMS-normed
 * over the whole projection ({@link ProjectionNormedAttention}), rotary embeddings over the first {@code rotary_dim}
 * features of each head (or {@code partial_rotary_factor} of them), and in every layer a mixture of experts
 * ({@code block_sparse_moe}, experts {@code w1}, {@code w3}, {@code w2} of width {@code intermediate_size}) whose
 * sigmoid router adds {@code e_score_correction_bias} only to choose and renormalises the chosen weights.
 */
@Component(service = ModelArchitecture.class)
public class MiniMaxM2Architecture extends DecoderFamily {

    /** MiniMax's names of the expert counts. */
    static final MixtureOfExperts.Fields FIELDS =
            new MixtureOfExperts.Fields("num_local_experts", "num_experts_per_tok", "intermediate_size", null);

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of minimax_m2.
     *
     * @param common the fields every Llama-like model shares ({@code intermediate_size} is each expert's width)
     * @param rope the partial rotary embedding
     * @param experts every layer's experts
     */
    record MiniMaxM2Config(LlamaLikeConfig common, RotaryEmbedding rope, MixtureOfExperts.Spec experts) {

        static MiniMaxM2Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            String scoring = c.getString("scoring_func").orElse("sigmoid");
            if (!scoring.equals("sigmoid")) {
                throw new IllegalArgumentException(c.source()
                        + ": MiniMax-M2 scores experts by sigmoid; config field 'scoring_func' is '" + scoring + "'");
            }
            if (!c.getBoolean(true, "use_qk_norm")
                    || !c.getString("qk_norm_type").orElse("per_layer").equals("per_layer")) {
                throw new IllegalArgumentException(c.source() + ": MiniMax-M2 norms q and k over the whole projection;"
                        + " config fields 'use_qk_norm' must be true and 'qk_norm_type' per_layer");
            }
            if (c.getInt(0, "shared_intermediate_size") != 0) {
                throw new IllegalArgumentException(c.source()
                        + ": config field 'shared_intermediate_size' must be 0: MiniMax-M2 has no shared experts");
            }
            int experts = c.requireInt("num_local_experts");
            int topK = c.requireInt("num_experts_per_tok");
            MixtureOfExperts.Spec spec = MixtureOfExperts.checked(c, () -> {
                MixtureOfExperts.Spec routed = MixtureOfExperts.Spec.of(
                                FIELDS,
                                experts,
                                common.intermediateSize(),
                                common.activation(),
                                new ExpertRouting.Rule(
                                        ExpertRouting.Scoring.SIGMOID,
                                        topK,
                                        1,
                                        1,
                                        ExpertRouting.GroupRank.BEST,
                                        true,
                                        ExpertRouting.Rule.NORM_MIN,
                                        1.0))
                        .withExpertNames(List.of("w1", "w3", "w2"));
                return c.getBoolean(true, "use_routing_bias")
                        ? routed.withCorrectionBias("e_score_correction_bias", false)
                        : routed;
            });
            return new MiniMaxM2Config(common, rope(c, common.headDim()), spec);
        }

        /** {@code rotary_dim} (MiniMax's own field), else {@code partial_rotary_factor} of the head. */
        static RotaryEmbedding rope(ModelConfig c, int headDim) {
            if (c.get("partial_rotary_factor").isPresent()) {
                return Blocks.rope(c, headDim); // which applies the top-level factor itself
            }
            int dim = c.get("rotary_dim").isPresent()
                    ? c.getInt(headDim, "rotary_dim")
                    : (int) (headDim * c.getDouble(1.0, "rope_parameters.partial_rotary_factor"));
            if (dim <= 0 || dim > headDim || dim % 2 != 0) {
                throw new IllegalArgumentException(c.source() + ": config field 'rotary_dim' (" + dim
                        + ") must be even and between 2 and head_dim (" + headDim + ")");
            }
            return Blocks.rope(c, dim);
        }

        DecoderLayout layout() {
            AttentionFactory attention = (parameters, module, layer, hidden) -> new ProjectionNormedAttention(
                    parameters, module, hidden, common.attention(false, false), common.rmsNorm(), 0);
            return common.layout(attention, experts.factory(layer -> true, common.gatedMlp(false)))
                    .withKeys(CheckpointKeys.LLAMA.withFeedForward("block_sparse_moe"))
                    .withRope(rope);
        }
    }

    @Override
    public String name() {
        return "minimax_m2";
    }

    @Override
    public String description() {
        return "MiniMax-M2: whole-projection q/k norms, partial rotary, sigmoid-routed experts with a correction bias";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MiniMaxM2ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("q_proj", "k_proj", "v_proj", "o_proj", "w1", "w2", "w3");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return MiniMaxM2Config.from(config).layout();
    }
}
