package dev.osprey.models.hunyuan;

import java.util.Set;
import java.util.function.IntPredicate;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MixtureOfExperts;
import dev.osprey.model.spi.QkNorms;

/**
 * Tencent's Hy3 ({@code HYV3ForCausalLM}, model type {@code hy_v3}): Qwen3's attention (per-head q/k RMSNorms before
 * the rotary embedding), dense MLPs where {@code mlp_layer_types} says (the first layer by default) and elsewhere
 * {@code num_experts} experts chosen by a sigmoid router ({@code mlp.router.gate}) with a correction bias
 * ({@code mlp.expert_bias}) that only chooses, renormalised and scaled by {@code router_scaling_factor}, plus
 * {@code num_shared_experts} fused into {@code mlp.shared_mlp}.
 */
@Component(service = ModelArchitecture.class)
public class HyV3Architecture extends DecoderFamily {

    /** Hy3's names of the expert counts. */
    static final MixtureOfExperts.Fields FIELDS = new MixtureOfExperts.Fields(
            "num_experts", "num_experts_per_tok", "moe_intermediate_size", "num_shared_experts");

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of hy_v3.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param experts the sparse layers' experts
     * @param sparseLayers the layers with experts
     */
    record HyV3Config(
            LlamaLikeConfig common, boolean attentionBias, MixtureOfExperts.Spec experts, IntPredicate sparseLayers) {

        static HyV3Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            if (c.getBoolean(false, "mlp_bias")) {
                throw new IllegalArgumentException(c.source()
                        + ": config field 'mlp_bias' true is not supported for hy_v3; the released models have false");
            }
            int experts = c.getInt(192, "num_experts", "num_local_experts");
            int topK = c.getInt(8, "num_experts_per_tok");
            int intermediate = c.getInt(1536, "moe_intermediate_size");
            int shared = c.getInt(1, "num_shared_experts");
            double scale = c.getDouble(2.826, "router_scaling_factor");
            MixtureOfExperts.Spec spec = MixtureOfExperts.checked(
                    c,
                    () -> MixtureOfExperts.Spec.of(
                                    FIELDS,
                                    experts,
                                    intermediate,
                                    common.activation(),
                                    ExpertRouting.Rule.sigmoidGroupLimited(topK, 1, 1, true, scale))
                            .withRouter("router.gate")
                            .withCorrectionBias("expert_bias", false)
                            .withShared(shared, intermediate, "shared_mlp", false, false));
            // transformers' default: the first layer dense, the others sparse
            return new HyV3Config(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    spec,
                    MixtureOfExperts.sparseLayers(c, common.layers(), 1));
        }

        DecoderLayout layout() {
            AttentionSpec attention =
                    common.attention(attentionBias, attentionBias).withQkNorms(QkNorms.beforeRope(common.rmsNorm()));
            return common.layout(Blocks.attention(attention), experts.factory(sparseLayers, common.gatedMlp(false)));
        }
    }

    @Override
    public String name() {
        return "hy_v3";
    }

    @Override
    public String description() {
        return "Tencent Hy3: Qwen3 attention, sigmoid-routed experts with a correction bias, a shared expert";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("HYV3ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return HyV3Config.from(config).layout();
    }
}
