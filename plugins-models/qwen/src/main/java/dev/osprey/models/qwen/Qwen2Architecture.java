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
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * Qwen2 and Qwen2.5: the Llama decoder with biases on the q, k and v projections; a sliding window only
 * when {@code use_sliding_window} is set.
 */
@Component(service = ModelArchitecture.class)
public class Qwen2Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of qwen2.
     *
     * @param common the fields every Llama-like model shares
     * @param slidingWindow the window when {@code use_sliding_window}, else 0
     */
    record Qwen2Config(LlamaLikeConfig common, int slidingWindow) {

        static Qwen2Config from(ModelConfig c) {
            return new Qwen2Config(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(false, "use_sliding_window") ? c.getInt(0, "sliding_window") : 0);
        }

        DecoderLayout layout() {
            return common.layout(Blocks.attention(common.attention(true, false)), common.gatedMlp(false))
                    .withSlidingWindow(slidingWindow);
        }
    }

    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    public String description() {
        return "Qwen2, Qwen2.5 (incl. Coder and Math), QwQ and DeepSeek-R1 distills";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen2ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen2Config.from(config).layout();
    }
}
