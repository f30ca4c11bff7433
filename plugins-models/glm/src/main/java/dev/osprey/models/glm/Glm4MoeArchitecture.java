package dev.osprey.models.glm;

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
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * GLM-4-MoE ({@code Glm4MoeForCausalLM}: GLM-4.5, GLM-4.5-Air, GLM-4.6): the Llama decoder with optional biases on
 * q, k and v ({@code attention_bias}), optional per-head RMSNorms on q and k before the rotary embedding
 * ({@code use_qk_norm}), rotary embeddings over the first {@code partial_rotary_factor} (default 0.5) of each head in
 * the half layout (not GLM-4's interleaved one), dense MLPs in the first {@code first_k_dense_replace} layers and
 * DeepSeek-V3-routed experts plus shared experts after ({@link MixtureOfExperts},
 * {@link ExpertRouting.Rule#deepseekV3}).
 */
@Component(service = ModelArchitecture.class)
public class Glm4MoeArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of glm4_moe.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k and v ({@code attention_bias}, default false); o has none
     * @param qkNorm {@code use_qk_norm}
     * @param rope the partial rotary embedding
     * @param experts the sparse layers' experts
     * @param firstDense {@code first_k_dense_replace}
     */
    record Glm4MoeConfig(
            LlamaLikeConfig common,
            boolean attentionBias,
            boolean qkNorm,
            RotaryEmbedding rope,
            MixtureOfExperts.Spec experts,
            int firstDense) {

        static Glm4MoeConfig from(ModelConfig c) {
            double factor = Glm4Architecture.Glm4Config.partialRotaryFactor(c);
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            boolean topLevel = c.get("partial_rotary_factor").isPresent();
            int dim = (int) (common.headDim() * factor);
            int firstDense = MixtureOfExperts.firstDenseLayers(c, 1);
            MixtureOfExperts.Spec experts = MixtureOfExperts.Spec.deepseek(
                            c, ExpertRouting.Rule.deepseekV3(c, true), 1, common.activation())
                    .withCorrectionBias("gate.e_score_correction_bias", false);
            return new Glm4MoeConfig(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    c.getBoolean(false, "use_qk_norm"),
                    // Blocks.rope applies a top-level partial_rotary_factor itself; otherwise it is given the width
                    Blocks.rope(c, topLevel ? common.headDim() : dim),
                    experts,
                    firstDense);
        }

        DecoderLayout layout() {
            AttentionSpec attention = common.attention(attentionBias, false);
            if (qkNorm) {
                attention = attention.withQkNorms(QkNorms.beforeRope(common.rmsNorm()));
            }
            return common.layout(Blocks.attention(attention), experts.afterDense(firstDense, common.gatedMlp(false)))
                    .withRope(rope);
        }
    }

    @Override
    public String name() {
        return "glm4_moe";
    }

    @Override
    public String description() {
        return "GLM-4.5 / GLM-4.6 (GLM-4-MoE): partial rotary, q/k norms, DeepSeek-V3-routed and shared experts";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Glm4MoeForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Glm4MoeConfig.from(config).layout();
    }
}
