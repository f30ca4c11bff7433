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
 * InternLM (v1, {@code InternLMForCausalLM}, remote code): the Llama decoder under Llama's names with
 * {@code bias} (default true) on q, k, v and o (as lightllm's models/internlm loads it), the MLP unbiased,
 * and its rotary embedding in its own {@code rotary} field ({@link InternLmRotary}).
 */
@Component(service = ModelArchitecture.class)
public class InternLmArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of internlm.
     *
     * @param common the fields every Llama-like model shares
     * @param bias biases on q, k, v and o ({@code bias}, default true)
     */
    record InternLmConfig(LlamaLikeConfig common, boolean bias, ModelConfig source) {

        static InternLmConfig from(ModelConfig c) {
            return new InternLmConfig(LlamaLikeConfig.read(c, false, "silu"), c.getBoolean(true, "bias"), c);
        }

        DecoderLayout layout() {
            return common.layout(
                            Blocks.attention(common.attention(bias, bias)),
                            Blocks.gatedMlp(common.intermediateSize(), false, false, common.activation()))
                    .withRope(InternLmRotary.from(source, common.headDim()));
        }
    }

    @Override
    public String name() {
        return "internlm";
    }

    @Override
    public String description() {
        return "InternLM 7B/20B and their chat models (remote code InternLMForCausalLM)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("InternLMForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return InternLmConfig.from(config).layout();
    }
}
