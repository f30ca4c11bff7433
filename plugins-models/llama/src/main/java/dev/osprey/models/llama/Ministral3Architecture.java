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
 * Ministral 3 ({@code ministral3}, the language model of {@code mistralai/Ministral-3-*-2512}): Mistral's decoder
 * with YaRN rotary positions ({@code rope_parameters}) and Llama 4's position-scaled queries
 * ({@code llama_4_scaling_beta}, {@link QueryTemperatureRope}); {@code sliding_window} as Mistral's.
 */
@Component(service = ModelArchitecture.class)
public class Ministral3Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "ministral3";
    }

    @Override
    public String description() {
        return "Ministral 3's language model (Ministral3ForCausalLM; YaRN and Llama 4's query temperature)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Ministral3ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        LlamaLikeConfig common = LlamaLikeConfig.read(config, false, "silu")
                .withRmsEps(config.getDouble(1e-5, "rms_norm_eps")); // Ministral3Config's default
        return common.layout(Blocks.attention(common.attention(false, false)), common.gatedMlp(false))
                .withSlidingWindow(config.getInt(0, "sliding_window"))
                .withRope(QueryTemperatureRope.of(config, common.rope()));
    }
}
