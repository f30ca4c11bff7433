package com.example.osprey.olmo;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * OLMo ({@code OlmoForCausalLM}, Allen AI): Llama's layout and checkpoint keys with two blocks of its own,
 * which Osprey's core does not have and this bundle brings through the model-family SPI: attention that
 * clamps q, k and v to {@code [-clip_qkv, clip_qkv]} ({@link ClippedAttention}) and a LayerNorm without
 * weight or bias ({@link ParameterFreeLayerNorm}) in place of every RMSNorm.
 */
@Component(service = ModelArchitecture.class)
public class OlmoArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of olmo.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k, v and o ({@code attention_bias})
     * @param clipQkv the clamp of q, k and v ({@code clip_qkv}); 0 when null or absent: no clamp
     */
    record OlmoConfig(LlamaLikeConfig common, boolean attentionBias, double clipQkv) {

        static OlmoConfig from(ModelConfig c) {
            double clip = c.getDouble(0, "clip_qkv");
            if (clip < 0) {
                throw new IllegalArgumentException(c.source() + ": clip_qkv must be positive, was " + clip);
            }
            return new OlmoConfig(LlamaLikeConfig.read(c, false, "silu"), c.getBoolean(false, "attention_bias"), clip);
        }

        DecoderLayout layout() {
            AttentionFactory attention = (parameters, module, layer, hidden) -> new ClippedAttention(
                    parameters, module, hidden, common.attention(attentionBias, attentionBias), clipQkv);
            return common.layout(attention, common.gatedMlp(false)).withNorms(ParameterFreeLayerNorm.FACTORY);
        }
    }

    @Override
    public String name() {
        return "olmo";
    }

    @Override
    public String description() {
        return "OLMo 1 (Allen AI), with clip_qkv attention and parameter-free LayerNorm (example plugin)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("OlmoForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return OlmoConfig.from(config).layout();
    }
}
