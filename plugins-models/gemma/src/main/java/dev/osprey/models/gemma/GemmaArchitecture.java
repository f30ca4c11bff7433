package dev.osprey.models.gemma;

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
 * Gemma (1): the Llama decoder with RMSNorm scaling by (1 + w), embeddings multiplied by sqrt(hidden_size),
 * a GeGLU MLP (tanh-approximated GELU) and output embeddings tied to the input.
 */
@Component(service = ModelArchitecture.class)
public class GemmaArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of gemma.
     *
     * @param common the fields every Llama-like model shares
     */
    record GemmaConfig(LlamaLikeConfig common) {

        static GemmaConfig from(ModelConfig c) {
            return new GemmaConfig(LlamaLikeConfig.read(c, true, "gelu_pytorch_tanh"));
        }

        DecoderLayout layout() {
            return common.layout(Blocks.attention(common.attention(false, false)), common.gatedMlp(false))
                    .withNorms(Blocks.rmsNorm(common.rmsEps(), 1f))
                    .withEmbeddingScale(Math.sqrt(common.hiddenSize()));
        }
    }

    @Override
    public String name() {
        return "gemma";
    }

    @Override
    public String description() {
        return "Gemma 1 (2B, 7B, CodeGemma)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("GemmaForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return GemmaConfig.from(config).layout();
    }
}
