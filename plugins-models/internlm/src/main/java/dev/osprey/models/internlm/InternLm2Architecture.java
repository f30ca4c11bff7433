package dev.osprey.models.internlm;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.AttentionSpec;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * InternLM2 and 2.5 ({@code InternLM2ForCausalLM}, remote code): Llama's math (RMSNorm, RoPE with
 * {@code rope_scaling} dynamic or linear, grouped-query attention, SwiGLU) under InternLM's own checkpoint
 * names, with q, k and v packed per key/value head in one {@code wqkv} ({@link PackedQkvAttention}) and the
 * MLP as {@code w1}/{@code w3}/{@code w2} ({@link SwiGlu}); {@code bias} puts biases on wqkv and wo.
 */
@Component(service = ModelArchitecture.class)
public class InternLm2Architecture extends DecoderFamily {

    /** Where InternLM2 checkpoints keep Llama's blocks. */
    static final CheckpointKeys KEYS = new CheckpointKeys(
            "model.tok_embeddings",
            "model.layers",
            "model.norm",
            "output",
            "attention_norm",
            "attention",
            "ffn_norm",
            "feed_forward");

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of internlm2.
     *
     * @param common the fields every Llama-like model shares
     * @param bias biases on wqkv and wo ({@code bias}; InternLM2Config's default is true, released models set false)
     */
    record InternLm2Config(LlamaLikeConfig common, boolean bias) {

        static InternLm2Config from(ModelConfig c) {
            LlamaLikeConfig read = LlamaLikeConfig.read(c, false, "silu");
            if (!read.activation().equals("silu")) {
                // the remote code's MLP is ACT2FN[hidden_act], but every released model is SwiGLU and so is SwiGlu
                throw new IllegalArgumentException(
                        c.source() + ": hidden_act '" + read.activation() + "' is not supported; supported: silu");
            }
            if (read.intermediateSize() <= 0) {
                throw new IllegalArgumentException(c.source()
                        + ": config field 'intermediate_size' must be positive, was " + read.intermediateSize());
            }
            return new InternLm2Config(read, c.getBoolean(true, "bias"));
        }

        DecoderLayout layout() {
            AttentionSpec spec = common.attention(bias, bias);
            int intermediate = common.intermediateSize();
            return common.layout(
                            (parameters, module, layer, hidden) ->
                                    new PackedQkvAttention(parameters, module, hidden, spec),
                            (parameters, module, layer, hidden) -> new SwiGlu(parameters, module, hidden, intermediate))
                    .withKeys(KEYS);
        }
    }

    @Override
    public String name() {
        return "internlm2";
    }

    @Override
    public String description() {
        return "InternLM2 and InternLM2.5 (packed wqkv, remote code InternLM2ForCausalLM)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("InternLM2ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("wqkv", "wo", "w1", "w2", "w3");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return InternLm2Config.from(config).layout();
    }
}
