package dev.osprey.models.llama;

import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * Mixtral: the Mistral decoder with a sparse mixture of experts in place of the MLP: a router picks
 * {@code num_experts_per_tok} of {@code num_local_experts} SwiGLU experts ({@code w1}, {@code w3}, {@code w2}) per
 * token and mixes them by their renormalised router probabilities.
 */
@Component(service = ModelArchitecture.class)
public class MixtralArchitecture extends DecoderFamily {

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
    record MixtralConfig(LlamaLikeConfig common, int experts, int topK, int slidingWindow) {

        static MixtralConfig from(ModelConfig c) {
            return new MixtralConfig(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.requireInt("num_local_experts", "num_experts"),
                    c.getInt(2, "num_experts_per_tok"),
                    c.getInt(0, "sliding_window"));
        }

        DecoderLayout layout() {
            Experts experts = new Experts(
                    this.experts, topK, true, common.intermediateSize(), List.of("w1", "w3", "w2"), Set.of(), 0);
            return common.layout(
                            Blocks.attention(common.attention(false, false)),
                            Blocks.sparseMoe(experts, false, common.activation(), common.gatedMlp(false)))
                    .withKeys(CheckpointKeys.LLAMA.withFeedForward("block_sparse_moe"))
                    .withSlidingWindow(slidingWindow);
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
    public DecoderLayout layout(ModelConfig config) {
        return MixtralConfig.from(config).layout();
    }
}
