package dev.osprey.models.deepseek;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MixtureOfExperts;

/**
 * DeepSeek-V2 ({@code DeepseekV2ForCausalLM}; V2-Lite, V2.5, Coder-V2): Multi-head Latent Attention
 * ({@link MultiHeadLatentAttention}, rotary features always interleaved, no softmax mscale), dense MLPs in the
 * first {@code first_k_dense_replace} layers and DeepSeekMoE with softmax routing after ({@link MixtureOfExperts};
 * {@code topk_method} greedy or group_limited_greedy, no renormalisation, as transformers runs it).
 */
@Component(service = ModelArchitecture.class)
public class DeepseekV2Architecture extends DecoderFamily {

    /** MLA's projections and the MLPs' (dense, shared and routed experts): LoRA's targets. */
    static final Set<String> LINEAR_MODULES = Set.of(
            "q_proj",
            "q_a_proj",
            "q_b_proj",
            "kv_a_proj_with_mqa",
            "kv_b_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj");

    private static final System.Logger LOG = System.getLogger(DeepseekV2Architecture.class.getName());

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of deepseek_v2.
     *
     * @param common the fields every Llama-like model shares (its head_dim and key/value heads unused: MLA has its own)
     * @param attention the latent attention's shape
     * @param experts the sparse layers' experts
     * @param firstDense {@code first_k_dense_replace}
     */
    record DeepseekV2Config(
            LlamaLikeConfig common,
            MultiHeadLatentAttention.Spec attention,
            MixtureOfExperts.Spec experts,
            int firstDense) {

        static DeepseekV2Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            String method = c.getString("topk_method").orElse("greedy");
            // transformers' DeepseekV2Moe never renormalises (DeepSeek's own remote code did), and we match it
            ExpertRouting.Rule greedy = ExpertRouting.Rule.softmaxTopK(c.requireInt("num_experts_per_tok"), false)
                    .scaled(c.getDouble(1.0, "routed_scaling_factor"));
            int groups = c.getInt(1, "n_group");
            int topkGroup = c.getInt(groups, "topk_group");
            ExpertRouting.Rule rule = switch (method) {
                case "greedy" -> greedy;
                case "group_limited_greedy" ->
                    MixtureOfExperts.checked(c, () -> greedy.grouped(groups, topkGroup, ExpertRouting.GroupRank.BEST));
                default ->
                    throw new IllegalArgumentException(c.source() + ": config field 'topk_method' is '" + method
                            + "'; DeepSeek-V2 supports greedy, group_limited_greedy");
            };
            String scoring = c.getString("scoring_func").orElse("softmax");
            if (!scoring.equals("softmax")) {
                throw new IllegalArgumentException(c.source()
                        + ": DeepSeek-V2 scores experts by softmax; config field 'scoring_func' is '" + scoring + "'");
            }
            if (c.getBoolean(false, "norm_topk_prob")) {
                // DeepSeek's own remote code renormalised; transformers' DeepseekV2Moe never does, and we match it
                LOG.log(
                        System.Logger.Level.WARNING,
                        "{0}: norm_topk_prob is true but DeepSeek-V2 routing ignores it, as transformers does",
                        c.source());
            }
            return new DeepseekV2Config(
                    common,
                    MultiHeadLatentAttention.Spec.from(c, true, false),
                    MixtureOfExperts.Spec.deepseek(c, rule, 0, common.activation()),
                    MixtureOfExperts.firstDenseLayers(c, 0));
        }

        DecoderLayout layout(ModelConfig c) {
            return common.layout(attention.factory(), experts.afterDense(firstDense, common.gatedMlp(false)))
                    .withRope(DeepseekRope.from(c, attention.qkRopeHeadDim()));
        }
    }

    @Override
    public String name() {
        return "deepseek_v2";
    }

    @Override
    public String description() {
        return "DeepSeek-V2 / V2-Lite / V2.5: Multi-head Latent Attention and DeepSeekMoE with softmax routing";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("DeepseekV2ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return DeepseekV2Config.from(config).layout(config);
    }
}
