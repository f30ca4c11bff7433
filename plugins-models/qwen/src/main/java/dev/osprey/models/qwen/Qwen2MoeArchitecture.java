package dev.osprey.models.qwen;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * Qwen2-MoE (Qwen1.5-MoE, Qwen2-57B-A14B): the Qwen2 decoder (q, k, v biases unless {@code qkv_bias} is
 * false) with routed experts as Qwen3-MoE has them, plus a shared expert every token runs
 * ({@code mlp.shared_expert}), scaled by a sigmoid gate ({@code mlp.shared_expert_gate}).
 */
@Component(service = ModelArchitecture.class)
public class Qwen2MoeArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of qwen2_moe.
     *
     * @param common the fields every Llama-like model shares
     * @param qkvBias biases on q, k and v ({@code qkv_bias}, default true)
     * @param slidingWindow the window when {@code use_sliding_window}, else 0
     * @param moe the routed and shared experts, and which layers stay dense
     */
    record Qwen2MoeConfig(LlamaLikeConfig common, boolean qkvBias, int slidingWindow, Experts moe) {

        static Qwen2MoeConfig from(ModelConfig c) {
            return new Qwen2MoeConfig(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(true, "qkv_bias"),
                    c.getBoolean(false, "use_sliding_window") ? c.getInt(0, "sliding_window") : 0,
                    Qwen3MoeArchitecture.Qwen3MoeConfig.moe(c));
        }

        DecoderLayout layout() {
            return common.layout(
                            Blocks.attention(common.attention(qkvBias, false)),
                            Blocks.sparseMoe(moe, false, common.activation(), common.gatedMlp(false)))
                    .withSlidingWindow(slidingWindow);
        }
    }

    @Override
    public String name() {
        return "qwen2_moe";
    }

    @Override
    public String description() {
        return "Qwen1.5-MoE and Qwen2 mixture-of-experts models, with a shared expert";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen2MoeForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen2MoeConfig.from(config).layout();
    }
}
