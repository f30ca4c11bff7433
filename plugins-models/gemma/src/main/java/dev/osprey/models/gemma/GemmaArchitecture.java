package dev.osprey.models.gemma;

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
 * Gemma (1): the Llama decoder with RMSNorm scaling by (1 + w), embeddings multiplied by sqrt(hidden_size),
 * a GeGLU MLP (tanh-approximated GELU) and output embeddings tied to the input.
 */
@Component(service = ModelArchitecture.class)
public class GemmaArchitecture extends DecoderArchitecture {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of gemma.
     *
     * @param common the fields every Llama-like model shares
     */
    record GemmaConfig(CommonConfig common) {

        static GemmaConfig from(ModelConfig c) {
            return new GemmaConfig(CommonConfig.read(c, true, "gelu_pytorch_tanh"));
        }

        DecoderSpec spec() {
            return common.spec(false, false, false, false, 1f, Math.sqrt(common.hiddenSize()), 0);
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
    protected DecoderSpec spec(ModelConfig config) {
        return GemmaConfig.from(config).spec();
    }
}
