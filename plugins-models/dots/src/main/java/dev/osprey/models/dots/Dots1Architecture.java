package dev.osprey.models.dots;

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
 * rednote-hilab's dots.llm1 ({@code Dots1ForCausalLM}): Qwen3's attention (per-head q/k RMSNorms before the rotary
 * embedding, optional {@code attention_bias}) with DeepSeek-V3's mixture of experts: dense MLPs in the first
 * {@code first_k_dense_replace} layers, then a sigmoid router with {@code e_score_correction_bias} and
 * {@code n_group}/{@code topk_group} groups ({@link ExpertRouting.Rule#deepseekV3}) and {@code n_shared_experts}
 * shared experts ({@link MixtureOfExperts}).
 */
@Component(service = ModelArchitecture.class)
public class Dots1Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of dots1.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param slidingWindow the window every layer attends through, or 0 for none
     * @param experts the sparse layers' experts
     * @param firstDense {@code first_k_dense_replace}
     */
    record Dots1Config(
            LlamaLikeConfig common,
            boolean attentionBias,
            int slidingWindow,
            MixtureOfExperts.Spec experts,
            int firstDense) {

        static Dots1Config from(ModelConfig c) {
            LlamaLikeConfig common = LlamaLikeConfig.read(c, false, "silu");
            return new Dots1Config(
                    common,
                    c.getBoolean(false, "attention_bias"),
                    slidingWindow(c, common.layers()),
                    MixtureOfExperts.Spec.deepseek(c, ExpertRouting.Rule.deepseekV3(c, false), 0, common.activation())
                            .withCorrectionBias("gate.e_score_correction_bias", false),
                    MixtureOfExperts.firstDenseLayers(c, 0));
        }

        /**
         * Transformers' {@code layer_types}: when absent, the layers from {@code max_window_layers} on slide when
         * {@code sliding_window} is set. The released models attend fully in every layer; a mix is refused.
         */
        static int slidingWindow(ModelConfig c, int layers) {
            int window = c.getInt(0, "sliding_window");
            long sliding;
            if (c.get("layer_types").orElse(null) instanceof List<?> types) {
                sliding = types.stream().filter("sliding_attention"::equals).count();
            } else {
                sliding = window > 0 ? Math.max(0, layers - c.getInt(layers, "max_window_layers")) : 0;
            }
            if (sliding == 0) {
                return 0;
            }
            if (sliding < layers) {
                throw new IllegalArgumentException(c.source() + ": " + sliding + " of " + layers
                        + " layers attend through sliding_window (config fields 'layer_types', 'max_window_layers');"
                        + " dots1 supports all layers or none");
            }
            if (window <= 0) {
                throw new IllegalArgumentException(
                        c.source() + ": config field 'sliding_window' must be positive for sliding layers");
            }
            return window;
        }

        DecoderLayout layout() {
            AttentionSpec attention =
                    common.attention(attentionBias, attentionBias).withQkNorms(QkNorms.beforeRope(common.rmsNorm()));
            return common.layout(Blocks.attention(attention), experts.afterDense(firstDense, common.gatedMlp(false)))
                    .withSlidingWindow(slidingWindow);
        }
    }

    @Override
    public String name() {
        return "dots1";
    }

    @Override
    public String description() {
        return "rednote-hilab dots.llm1: Qwen3 attention, DeepSeek-V3-routed and shared experts";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Dots1ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Dots1Config.from(config).layout();
    }
}
