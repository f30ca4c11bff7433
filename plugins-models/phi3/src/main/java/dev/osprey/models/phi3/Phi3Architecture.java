package dev.osprey.models.phi3;

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
 * Phi-3: the Llama decoder with q, k, v fused into {@code qkv_proj} and gate, up into {@code gate_up_proj},
 * longrope scaling for the 128k-context variants, an optional {@code partial_rotary_factor} (Phi-4-mini) and
 * sliding-window attention when {@code sliding_window} is set.
 */
@Component(service = ModelArchitecture.class)
public class Phi3Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of phi3.
     *
     * @param common the fields every Llama-like model shares
     * @param slidingWindow attend to at most this many tokens; 0 for no window
     */
    record Phi3Config(LlamaLikeConfig common, int slidingWindow) {

        static Phi3Config from(ModelConfig c) {
            return new Phi3Config(LlamaLikeConfig.read(c, false, "silu"), c.getInt(0, "sliding_window"));
        }

        DecoderLayout layout() {
            return common.layout(
                            Blocks.attention(common.attention(false, false).withFusedQkv()),
                            Blocks.gatedMlp(common.intermediateSize(), false, true, common.activation()))
                    .withSlidingWindow(slidingWindow);
        }
    }

    @Override
    public String name() {
        return "phi3";
    }

    @Override
    public String description() {
        return "Phi-3 and Phi-3.5 mini/medium, Phi-4-mini (fused projections, longrope)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Phi3ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Phi3Config.from(config).layout();
    }
}
