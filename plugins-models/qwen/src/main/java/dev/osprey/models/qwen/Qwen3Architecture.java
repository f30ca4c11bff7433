package dev.osprey.models.qwen;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderSpec;

/**
 * Qwen3: the Llama decoder with RMSNorm over each head of q and k before the rotary embedding
 * ({@code q_norm}, {@code k_norm}), an explicit {@code head_dim}, and optional {@code attention_bias}.
 */
@Component(service = ModelArchitecture.class)
public class Qwen3Architecture extends DecoderArchitecture {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of qwen3.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param slidingWindow the window when {@code use_sliding_window}, else 0
     */
    record Qwen3Config(CommonConfig common, boolean attentionBias, int slidingWindow) {

        static Qwen3Config from(ModelConfig c) {
            return new Qwen3Config(CommonConfig.read(c, false, "silu"), c.getBoolean(false, "attention_bias"),
                    c.getBoolean(false, "use_sliding_window") ? c.getInt(0, "sliding_window") : 0);
        }

        DecoderSpec spec() {
            return common.spec(attentionBias, attentionBias, false, true, 0f, 1.0, slidingWindow);
        }
    }

    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public String description() {
        return "Qwen3 dense models (thinking and instruct)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3ForCausalLM");
    }

    @Override
    protected DecoderSpec spec(ModelConfig config) {
        return Qwen3Config.from(config).spec();
    }
}
