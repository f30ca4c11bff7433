package dev.osprey.models.ernie;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.InterleavedRope;

/**
 * ERNIE 4.5 dense ({@code Ernie4_5ForCausalLM}): the Llama decoder with RoPE over neighbouring pairs
 * ({@link InterleavedRope}) and, with {@code use_bias}, biases on q, k, v, o and the MLP (the head has none).
 */
@Component(service = ModelArchitecture.class)
public class Ernie45Architecture extends DecoderFamily {

    /** {@code Ernie4_5Config}'s {@code head_dim} when a config.json has none. */
    static final int DEFAULT_HEAD_DIM = 128;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "ernie4_5";
    }

    @Override
    public String description() {
        return "Baidu ERNIE 4.5 dense models (ERNIE-4.5-0.3B)";
    }

    @Override
    public Set<String> architectures() {
        // ms-swift lists the remote-code name; the -PT checkpoints name transformers' own
        return Set.of("Ernie4_5ForCausalLM", "Ernie4_5_ForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        ErnieConfig c = ErnieConfig.from(config, DEFAULT_HEAD_DIM);
        return c.layout(c.denseMlp());
    }
}
