package dev.osprey.models.bailing;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MixtureOfExperts;
import dev.osprey.model.spi.ProjectionNames;
import dev.osprey.model.spi.QkNorms;

/**
 * inclusionAI's Ling models (model type {@code bailing_moe}), both generations of their published remote code, told
 * apart by {@code architectures}:
 *
 * <ul>
 *   <li>{@code BailingMoeForCausalLM} (Ling-lite, Ling-plus): Llama's decoder with q, k and v fused into
 *       {@code attention.query_key_value} ({@code use_qkv_bias}) and the output projection {@code attention.dense}
 *       ({@code use_bias}, true by default); after {@code first_k_dense_replace} dense layers, a softmax router over
 *       {@code num_experts} whose top {@code num_experts_per_tok} are renormalised ({@code norm_topk_prob}) and
 *       {@code num_shared_experts} shared experts;
 *   <li>{@code BailingMoeV2ForCausalLM} (Ling-mini-2.0, Ling-1T, Ring-mini-2.0): the same layout with per-head q/k
 *       RMSNorms before the rotary embedding ({@code use_qk_norm}: {@code query_layernorm}, {@code key_layernorm}),
 *       rotary over {@code partial_rotary_factor} of each head, and DeepSeek-V3's sigmoid router with a correction
 *       bias ({@code gate.expert_bias}), {@code n_group}/{@code topk_group} groups and {@code routed_scaling_factor}.
 * </ul>
 *
 * The token embedding is {@code model.word_embeddings}.
 */
@Component(service = ModelArchitecture.class)
public class BailingMoeArchitecture extends DecoderFamily {

    static final String V1 = "BailingMoeForCausalLM";
    static final String V2 = "BailingMoeV2ForCausalLM";

    /** Ling's names of the expert counts. */
    static final MixtureOfExperts.Fields FIELDS = new MixtureOfExperts.Fields(
            "num_experts", "num_experts_per_tok", "moe_intermediate_size", "num_shared_experts");

    static final CheckpointKeys KEYS = new CheckpointKeys(
            "model.word_embeddings",
            "model.layers",
            "model.norm",
            "lm_head",
            "input_layernorm",
            "attention",
            "post_attention_layernorm",
            "mlp");

    static final ProjectionNames PROJECTIONS = ProjectionNames.LLAMA.withFused("query_key_value", "dense");

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of bailing_moe.
     *
     * @param common the fields every Llama-like model shares
     * @param v2 whether it is {@code BailingMoeV2ForCausalLM}
     * @param attention the fused attention with its biases and, in V2, its q/k norms
     * @param experts the sparse layers' experts
     * @param firstDense {@code first_k_dense_replace}
     */
    record BailingConfig(
            LlamaLikeConfig common,
            boolean v2,
            AttentionSpec attention,
            MixtureOfExperts.Spec experts,
            int firstDense) {

        static BailingConfig from(ModelConfig c) {
            String arch = c.architecture().orElse(V1);
            if (!arch.equals(V1) && !arch.equals(V2)) {
                throw new IllegalArgumentException(c.source() + ": config field 'architectures' names " + arch
                        + "; bailing_moe runs " + V1 + " and " + V2);
            }
            boolean v2 = arch.equals(V2);
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            if (c.getBoolean(false, "norm_head")) {
                throw new IllegalArgumentException(c.source() + ": config field 'norm_head' true (a column-normed"
                        + " lm_head) is not supported; the released Ling models have norm_head false");
            }
            if (!v2 && c.get("rope_scaling").isPresent()) {
                throw new IllegalArgumentException(c.source() + ": config field 'rope_scaling' must be null for " + V1
                        + ", whose own rotary scaling is not proven here; the released Ling models have none");
            }
            String scoring = c.getString("score_function").orElse("sigmoid");
            if (v2 && !scoring.equals("sigmoid")) {
                throw new IllegalArgumentException(c.source() + ": " + V2
                        + " scores experts by sigmoid; config field 'score_function' is '" + scoring + "'");
            }
            AttentionSpec attention = common.attention(
                            c.getBoolean(false, "use_qkv_bias"), c.getBoolean(!v2, "use_bias"))
                    .withFusedQkv();
            if (v2 && c.getBoolean(true, "use_qk_norm")) {
                attention =
                        attention.withQkNorms(new QkNorms("query_layernorm", "key_layernorm", false, common.rmsNorm()));
            }
            return new BailingConfig(
                    common,
                    v2,
                    attention,
                    experts(c, v2, common.activation()),
                    MixtureOfExperts.firstDenseLayers(c, v2 ? 1 : 0));
        }

        /** V1: softmax top k; V2: sigmoid with the correction bias and groups. Both renormalise only when k > 1. */
        static MixtureOfExperts.Spec experts(ModelConfig c, boolean v2, String activation) {
            int experts = c.getInt(v2 ? 256 : 16, "num_experts");
            int topK = c.getInt(v2 ? 8 : 2, "num_experts_per_tok");
            int intermediate = c.requireInt("moe_intermediate_size");
            int shared = c.getInt(0, "num_shared_experts");
            boolean normTopkProb = c.getBoolean(true, "norm_topk_prob");
            int groups = c.getInt(v2 ? 8 : 1, "n_group");
            int topkGroup = c.getInt(v2 ? 4 : 1, "topk_group");
            double scale = c.getDouble(1.0, "routed_scaling_factor");
            return MixtureOfExperts.checked(c, () -> {
                ExpertRouting.Rule rule = v2
                        ? ExpertRouting.Rule.sigmoidGroupLimited(topK, groups, topkGroup, topK > 1, scale)
                        : ExpertRouting.Rule.softmaxTopK(topK, normTopkProb && topK > 1);
                MixtureOfExperts.Spec spec = MixtureOfExperts.Spec.of(FIELDS, experts, intermediate, activation, rule)
                        .withShared(shared, intermediate, "shared_experts", false, false);
                return v2 ? spec.withCorrectionBias("gate.expert_bias", false) : spec;
            });
        }

        DecoderLayout layout() {
            return common.layout(
                            Blocks.attention(attention, PROJECTIONS),
                            experts.afterDense(firstDense, common.gatedMlp(false)))
                    .withKeys(KEYS);
        }
    }

    @Override
    public String name() {
        return "bailing_moe";
    }

    @Override
    public String description() {
        return "inclusionAI Ling / Ring (bailing_moe V1 and V2): fused q/k/v, softmax or sigmoid-routed and shared experts";
    }

    @Override
    public Set<String> architectures() {
        return Set.of(V1, V2);
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("query_key_value", "dense", "gate_proj", "up_proj", "down_proj");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return BailingConfig.from(config).layout();
    }
}
