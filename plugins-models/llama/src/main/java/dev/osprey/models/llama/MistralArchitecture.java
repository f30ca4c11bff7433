package dev.osprey.models.llama;

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
 * Mistral: the Llama decoder with sliding-window attention ({@code sliding_window}, none when null).
 */
@Component(service = ModelArchitecture.class)
public class MistralArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of mistral.
     *
     * @param common the fields every Llama-like model shares
     * @param slidingWindow attend to at most this many tokens; 0 for no window
     */
    record MistralConfig(LlamaLikeConfig common, int slidingWindow) {

        static MistralConfig from(ModelConfig c) {
            return new MistralConfig(LlamaLikeConfig.read(c, false, "silu"), c.getInt(0, "sliding_window"));
        }

        DecoderLayout layout() {
            return common.layout(Blocks.attention(common.attention(false, false)), common.gatedMlp(false))
                    .withSlidingWindow(slidingWindow);
        }
    }

    @Override
    public String name() {
        return "mistral";
    }

    @Override
    public String description() {
        return "Mistral 7B, Mistral-Nemo and other MistralForCausalLM checkpoints";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MistralForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return MistralConfig.from(config).layout();
    }
}
