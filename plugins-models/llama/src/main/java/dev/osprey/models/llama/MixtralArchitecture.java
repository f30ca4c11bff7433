package dev.osprey.models.llama;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.decoder.CommonConfig;
import dev.osprey.model.decoder.DecoderArchitecture;
import dev.osprey.model.decoder.DecoderSpec;
import dev.osprey.model.decoder.MoeSpec;

/**
 * Mixtral: the Mistral decoder with a sparse mixture of experts in place of the MLP: a router picks
 * {@code num_experts_per_tok} of {@code num_local_experts} SwiGLU experts ({@code w1}, {@code w3}, {@code w2}) per
 * token and mixes them by their renormalised router probabilities.
 */
@Component(service = ModelArchitecture.class)
public class MixtralArchitecture extends DecoderArchitecture {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of mixtral.
     *
     * @param common the fields every Llama-like model shares
     * @param experts {@code num_local_experts} (also spelled {@code num_experts})
     * @param topK {@code num_experts_per_tok}
     * @param slidingWindow attend to at most this many tokens; 0 for no window
     */
    record MixtralConfig(CommonConfig common, int experts, int topK, int slidingWindow) {

        static MixtralConfig from(ModelConfig c) {
            return new MixtralConfig(CommonConfig.read(c, false, "silu"), c.requireInt("num_local_experts", "num_experts"),
                    c.getInt(2, "num_experts_per_tok"), c.getInt(0, "sliding_window"));
        }

        DecoderSpec spec() {
            return common.spec(false, false, false, false, 0f, 1.0, slidingWindow).withMoe(new MoeSpec(experts, topK, true,
                    common.intermediateSize(), "block_sparse_moe", List.of("w1", "w3", "w2"), Set.of()));
        }
    }

    @Override
    public String name() {
        return "mixtral";
    }

    @Override
    public String description() {
        return "Mixtral 8x7B and 8x22B (sparse mixture of experts)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MixtralForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("q_proj", "k_proj", "v_proj", "o_proj", "w1", "w2", "w3");
    }

    @Override
    protected DecoderSpec spec(ModelConfig config) {
        return MixtralConfig.from(config).spec();
    }
}
