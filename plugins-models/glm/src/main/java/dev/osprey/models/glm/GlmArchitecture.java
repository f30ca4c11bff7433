package dev.osprey.models.glm;

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
 * GLM ({@code GlmForCausalLM}, model_type {@code glm}: GLM-Edge, and transformers' conversion of ChatGLM-4): GLM-4's
 * decoder ({@link Glm4Architecture}: q, k, v biases, GLM's interleaved partial rotary embedding, a fused
 * {@code gate_up_proj}) without the 0414 models' sandwich norms.
 */
@Component(service = ModelArchitecture.class)
public class GlmArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "glm";
    }

    @Override
    public String description() {
        return "GLM-Edge (1.5B, 4B chat) and GlmForCausalLM conversions of GLM-4";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("GlmForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        Glm4Architecture.Glm4Config glm = Glm4Architecture.Glm4Config.from(config);
        LlamaLikeConfig common = glm.common();
        return common.layout(
                        Blocks.attention(common.attention(glm.attentionBias(), false)),
                        Blocks.gatedMlp(common.intermediateSize(), false, true, common.activation()))
                .withRope(glm.rope());
    }
}
