package dev.osprey.models.hunyuan;

import java.util.List;
import java.util.Set;

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
 * Tencent's HunYuan MoE ({@code HunYuanMoEV1ForCausalLM}, model type {@code hunyuan_v1_moe}: Hunyuan-A13B): the
 * HunYuan dense attention (per-head q/k norms after the rotary embedding, NTK alpha) and, in every layer,
 * {@code num_experts} experts as wide as {@code intermediate_size} chosen by a float32 softmax router
 * ({@code mlp.gate.wg}) whose top {@code moe_topk} are renormalised, plus a shared MLP of the same width
 * ({@code mlp.shared_mlp}) that every token runs.
 */
@Component(service = ModelArchitecture.class)
public class HunYuanMoeArchitecture extends DecoderFamily {

    /** HunYuan's names of the expert counts. */
    static final MixtureOfExperts.Fields FIELDS =
            new MixtureOfExperts.Fields("num_experts", "moe_topk", "intermediate_size", null);

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of hunyuan_v1_moe.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param experts every layer's experts
     */
    record HunYuanMoeConfig(LlamaLikeConfig common, boolean attentionBias, MixtureOfExperts.Spec experts) {

        static HunYuanMoeConfig from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            int experts = uniform(c, "num_experts", 1);
            int topK = uniform(c, "moe_topk", 1);
            MixtureOfExperts.Spec spec = MixtureOfExperts.checked(
                    c,
                    () -> MixtureOfExperts.Spec.of(
                                    FIELDS,
                                    experts,
                                    common.intermediateSize(),
                                    common.activation(),
                                    ExpertRouting.Rule.softmaxTopK(topK, true))
                            .withRouter("gate.wg")
                            .withShared(1, common.intermediateSize(), "shared_mlp", false, false));
            return new HunYuanMoeConfig(common, c.getBoolean(false, "attention_bias"), spec);
        }

        /** A count that is one number or, as Hunyuan-A13B writes it, the same number for every layer. */
        static int uniform(ModelConfig c, String field, int defaultValue) {
            if (c.get(field).orElse(null) instanceof List<?> perLayer) {
                if (perLayer.isEmpty()
                        || perLayer.stream().distinct().count() != 1
                        || !(perLayer.get(0) instanceof Number n)) {
                    throw new IllegalArgumentException(c.source() + ": config field '" + field
                            + "' must be one number or the same for every layer, was " + perLayer);
                }
                return n.intValue();
            }
            return c.getInt(defaultValue, field);
        }

        DecoderLayout layout() {
            AttentionSpec attention = common.attention(attentionBias, attentionBias)
                    .withQkNorms(new QkNorms("query_layernorm", "key_layernorm", true, common.rmsNorm()));
            return common.layout(Blocks.attention(attention), experts.factory(layer -> true, common.gatedMlp(false)));
        }
    }

    @Override
    public String name() {
        return "hunyuan_v1_moe";
    }

    @Override
    public String description() {
        return "Tencent HunYuan MoE (Hunyuan-A13B): softmax-routed experts beside a shared MLP";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("HunYuanMoEV1ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return HunYuanMoeConfig.from(config).layout();
    }
}
