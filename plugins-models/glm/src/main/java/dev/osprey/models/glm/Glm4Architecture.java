package dev.osprey.models.glm;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.InterleavedRope;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * GLM-4 (the 0414 models, {@code Glm4ForCausalLM}): the Llama decoder with biases on q, k and v (not o), a
 * fused {@code gate_up_proj}, rotary embeddings over the first {@code partial_rotary_factor} of each head in
 * GLM's interleaved layout ({@link InterleavedRope}), and sandwich norms: {@code post_self_attn_layernorm}
 * and {@code post_mlp_layernorm} norm each block's output before the residual ({@link SandwichNorms}).
 */
@Component(service = ModelArchitecture.class)
public class Glm4Architecture extends DecoderFamily {

    /** GLM-4's default {@code rms_norm_eps}. */
    static final double DEFAULT_RMS_EPS = 1.5625e-7;

    /** GLM-4 rotates half of each head unless the config says otherwise. */
    static final double DEFAULT_PARTIAL_ROTARY_FACTOR = 0.5;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of glm4.
     *
     * @param common the fields every Llama-like model shares
     * @param attentionBias biases on q, k and v ({@code attention_bias}, default true); o has none
     * @param rope the interleaved partial rotary embedding
     */
    record Glm4Config(LlamaLikeConfig common, boolean attentionBias, InterleavedRope rope) {

        static Glm4Config from(ModelConfig c) {
            double factor = partialRotaryFactor(c); // checked first: the common fields' RoPE reads it too
            LlamaLikeConfig read = LlamaLikeConfig.read(c, false, "silu");
            if (c.get("rms_norm_eps").isEmpty()) {
                read = read.withRmsEps(DEFAULT_RMS_EPS);
            }
            return new Glm4Config(read, c.getBoolean(true, "attention_bias"), rope(c, read.headDim(), factor));
        }

        /**
         * {@code partial_rotary_factor} at the top level (GLM's own configs) or in {@code rope_parameters}
         * (transformers 5), 0.5 when neither has it.
         */
        static double partialRotaryFactor(ModelConfig c) {
            double factor = c.getDouble(
                    DEFAULT_PARTIAL_ROTARY_FACTOR, "partial_rotary_factor", "rope_parameters.partial_rotary_factor");
            if (!(factor > 0 && factor <= 1)) {
                throw new IllegalArgumentException(
                        c.source() + ": partial_rotary_factor must be in (0, 1], was " + factor);
            }
            return factor;
        }

        static InterleavedRope rope(ModelConfig c, int headDim, double factor) {
            boolean topLevel = c.get("partial_rotary_factor").isPresent();
            int dim = (int) (headDim * factor);
            // Blocks.rope applies a top-level partial_rotary_factor itself; otherwise it is given the rotary width
            return new InterleavedRope(Blocks.rope(c, topLevel ? headDim : dim), dim);
        }

        DecoderLayout layout() {
            AttentionFactory attention = SandwichNorms.attention(
                    Blocks.attention(common.attention(attentionBias, false)),
                    common.rmsNorm(),
                    "post_self_attn_layernorm");
            FeedForwardFactory mlp = SandwichNorms.feedForward(
                    Blocks.gatedMlp(common.intermediateSize(), false, true, common.activation()),
                    common.rmsNorm(),
                    "post_mlp_layernorm");
            return common.layout(attention, mlp).withRope(rope);
        }
    }

    @Override
    public String name() {
        return "glm4";
    }

    @Override
    public String description() {
        return "GLM-4 0414 models (GLM-4-9B/32B-0414, GLM-Z1)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Glm4ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Glm4Config.from(config).layout();
    }
}
