package dev.osprey.models.deepseek;

import java.util.Set;
import java.util.function.IntPredicate;

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
 * DeepSeek-V3 ({@code DeepseekV3ForCausalLM}; also DeepSeek-R1 and Kimi-K2's layout): Llama's pre-norm
 * decoder with Multi-head Latent Attention ({@link MultiHeadLatentAttention}, rotary features interleaved
 * unless {@code rope_interleave} is false, YaRN's mscale on the softmax), dense MLPs in the first
 * {@code first_k_dense_replace} layers and DeepSeekMoE with sigmoid, bias-corrected, group-limited routing
 * after ({@link MixtureOfExperts}, {@link ExpertRouting.Rule#deepseekV3}).
 */
@Component(service = ModelArchitecture.class)
public class DeepseekV3Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of deepseek_v3.
     *
     * @param common the fields every Llama-like model shares (its head_dim and key/value heads unused: MLA has its own)
     * @param attention the latent attention's shape
     * @param experts the sparse layers' experts
     * @param sparseLayers the layers with experts ({@code first_k_dense_replace} or {@code mlp_layer_types})
     */
    record DeepseekV3Config(
            LlamaLikeConfig common,
            MultiHeadLatentAttention.Spec attention,
            MixtureOfExperts.Spec experts,
            IntPredicate sparseLayers) {

        static DeepseekV3Config from(ModelConfig c) {
            return from(c, MultiHeadLatentAttention.Spec.from(c, c.getBoolean(true, "rope_interleave"), true));
        }

        /** V3's layout around {@code attention} (V3.2's adds the sparse attention's indexer). */
        static DeepseekV3Config from(ModelConfig c, MultiHeadLatentAttention.Spec attention) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            String scoring = c.getString("scoring_func").orElse("sigmoid");
            if (!scoring.equals("sigmoid")) {
                throw new IllegalArgumentException(c.source()
                        + ": DeepSeek-V3 scores experts by sigmoid; config field 'scoring_func' is '" + scoring + "'");
            }
            return new DeepseekV3Config(
                    common,
                    attention,
                    MixtureOfExperts.Spec.deepseek(c, ExpertRouting.Rule.deepseekV3(c, true), 0, common.activation())
                            .withCorrectionBias("gate.e_score_correction_bias", false),
                    MixtureOfExperts.sparseLayers(c, common.layers(), 3));
        }

        DecoderLayout layout(ModelConfig c) {
            return common.layout(attention.factory(), experts.factory(sparseLayers, common.gatedMlp(false)))
                    .withRope(DeepseekRope.from(c, attention.qkRopeHeadDim()));
        }
    }

    @Override
    public String name() {
        return "deepseek_v3";
    }

    @Override
    public String description() {
        return "DeepSeek-V3 / R1: Multi-head Latent Attention and DeepSeekMoE with sigmoid group routing";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("DeepseekV3ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return DeepseekV2Architecture.LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return DeepseekV3Config.from(config).layout(config);
    }
}
