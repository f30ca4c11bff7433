package dev.osprey.models.qwen;

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
import dev.osprey.model.spi.LlamaLikeConfig;
import dev.osprey.model.spi.QkNorms;

/**
 * Qwen3: the Llama decoder with RMSNorm over each head of q and k before the rotary embedding
 * ({@code q_norm}, {@code k_norm}), an explicit {@code head_dim}, and optional {@code attention_bias}.
 */
@Component(service = ModelArchitecture.class)
public class Qwen3Architecture extends DecoderFamily {

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
    record Qwen3Config(LlamaLikeConfig common, boolean attentionBias, int slidingWindow) {

        static Qwen3Config from(ModelConfig c) {
            return new Qwen3Config(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(false, "attention_bias"),
                    c.getBoolean(false, "use_sliding_window") ? c.getInt(0, "sliding_window") : 0);
        }

        DecoderLayout layout() {
            AttentionSpec attention =
                    common.attention(attentionBias, attentionBias).withQkNorms(QkNorms.beforeRope(common.rmsNorm()));
            return common.layout(Blocks.attention(attention), common.gatedMlp(false))
                    .withSlidingWindow(slidingWindow);
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
    public DecoderLayout layout(ModelConfig config) {
        return Qwen3Config.from(config).layout();
    }
}
