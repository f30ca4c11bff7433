package dev.osprey.models.deepseek;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.MixtureOfExperts;

/**
 * DeepSeek's first mixture of experts ({@code DeepseekForCausalLM}, model type {@code deepseek}: deepseek-moe-16b,
 * remote code): Llama's attention and norms; in the layers from {@code first_k_dense_replace} on whose index is a
 * multiple of {@code moe_layer_freq}, a softmax router over {@code n_routed_experts} whose top
 * {@code num_experts_per_tok} are renormalised ({@code norm_topk_prob}, when more than one) plus
 * {@code n_shared_experts} fused into one MLP; the dense MLP elsewhere.
 */
@Component(service = ModelArchitecture.class)
public class DeepseekV1Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of deepseek.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param experts the sparse layers' experts
     * @param firstDense {@code first_k_dense_replace}
     * @param every {@code moe_layer_freq}
     */
    record DeepseekV1Config(
            LlamaLikeConfig common, boolean attentionBias, MixtureOfExperts.Spec experts, int firstDense, int every) {

        static DeepseekV1Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            String scoring = c.getString("scoring_func").orElse("softmax");
            if (!scoring.equals("softmax")) {
                throw new IllegalArgumentException(c.source()
                        + ": DeepSeek-MoE scores experts by softmax; config field 'scoring_func' is '" + scoring + "'");
            }
            if (c.get("rope_scaling").isPresent()) {
                throw new IllegalArgumentException(c.source() + ": config field 'rope_scaling' must be null for"
                        + " DeepseekForCausalLM, whose own rotary scaling is not proven here; the released models have"
                        + " none");
            }
            int every = c.getInt(1, "moe_layer_freq");
            if (every <= 0) {
                throw new IllegalArgumentException(
                        c.source() + ": config field 'moe_layer_freq' must be positive, was " + every);
            }
            int topK = c.requireInt("num_experts_per_tok");
            boolean normalize = c.getBoolean(true, "norm_topk_prob") && topK > 1;
            ExpertRouting.Rule rule =
                    MixtureOfExperts.checked(c, () -> ExpertRouting.Rule.softmaxTopK(topK, normalize));
            return new DeepseekV1Config(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    MixtureOfExperts.Spec.deepseek(c, rule, 0, common.activation()),
                    MixtureOfExperts.firstDenseLayers(c, 0),
                    every);
        }

        DecoderLayout layout() {
            return common.layout(
                    Blocks.attention(common.attention(attentionBias, attentionBias)),
                    experts.factory(layer -> layer >= firstDense && layer % every == 0, common.gatedMlp(false)));
        }
    }

    @Override
    public String name() {
        return "deepseek";
    }

    @Override
    public String description() {
        return "DeepSeek-MoE (deepseek-moe-16b): Llama attention, softmax-routed and shared experts";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("DeepseekForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return DeepseekV1Config.from(config).layout();
    }
}
