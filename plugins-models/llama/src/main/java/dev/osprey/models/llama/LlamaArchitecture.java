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
 * Llama: pre-norm decoder with RMSNorm, SwiGLU MLP, rotary embeddings (including Llama 3.1's scaling) and
 * grouped-query attention; {@code attention_bias} and {@code mlp_bias} add biases as in transformers' LlamaModel.
 */
@Component(service = ModelArchitecture.class)
public class LlamaArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of llama.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param mlpBias biases on the MLP projections ({@code mlp_bias})
     */
    record LlamaConfig(LlamaLikeConfig common, boolean attentionBias, boolean mlpBias) {

        static LlamaConfig from(ModelConfig c) {
            return new LlamaConfig(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(false, "attention_bias"),
                    c.getBoolean(false, "mlp_bias"));
        }

        DecoderLayout layout() {
            return common.layout(
                    Blocks.attention(common.attention(attentionBias, attentionBias)), common.gatedMlp(mlpBias));
        }
    }

    @Override
    public String name() {
        return "llama";
    }

    @Override
    public String description() {
        return "Llama 1/2/3/3.x, Yi, CodeLlama and other LlamaForCausalLM checkpoints";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlamaForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return LlamaConfig.from(config).layout();
    }
}
