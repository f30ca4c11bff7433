package dev.osprey.models.internlm;

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
 * InternLM3 ({@code InternLM3ForCausalLM}, remote code): the Llama decoder under Llama's names, with
 * {@code qkv_bias} on q, k and v and {@code bias} on o and the MLP (as lmdeploy's pytorch/models/internlm3.py
 * builds it), an explicit {@code head_dim} and {@code rope_scaling}.
 */
@Component(service = ModelArchitecture.class)
public class InternLm3Architecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of internlm3.
     *
     * @param common the fields every Llama-like model shares
     * @param qkvBias biases on q, k and v ({@code qkv_bias}, default false)
     * @param bias biases on o and the MLP ({@code bias}, default false)
     */
    record InternLm3Config(LlamaLikeConfig common, boolean qkvBias, boolean bias) {

        static InternLm3Config from(ModelConfig c) {
            return new InternLm3Config(
                    LlamaLikeConfig.read(c, false, "silu"),
                    c.getBoolean(false, "qkv_bias"),
                    c.getBoolean(false, "bias"));
        }

        DecoderLayout layout() {
            return common.layout(
                    Blocks.attention(common.attention(qkvBias, bias)),
                    Blocks.gatedMlp(common.intermediateSize(), bias, false, common.activation()));
        }
    }

    @Override
    public String name() {
        return "internlm3";
    }

    @Override
    public String description() {
        return "InternLM3 (remote code InternLM3ForCausalLM)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("InternLM3ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return InternLm3Config.from(config).layout();
    }
}
