package dev.osprey.models.telechat;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * TeleChat ({@code TelechatForCausalLM}, model_type {@code telechat}; remote code on the Hub: TeleChat-12B, its
 * v2, and TeleChat2-35B/115B in that format): Llama's pre-norm decoder under BLOOM-like names
 * ({@code transformer.word_embeddings / h.N / ln_f}), q from {@code query} and k, v from a per-head packed
 * {@code key_value} ({@link TeleChatAttention}), biases on {@code dense} and {@code down_proj} only
 * ({@link TeleChatMlp}), and TeleChat's NTK-scaled rotary base ({@link TeleChatConfig#ntkRope}).
 *
 * <p>TeleChat-7B's code fixes {@code base_seqlen} at 4096 where TeleChat-12B's fixes 8192 and neither config says
 * it: TeleChat-7B is told by its vocabulary ({@link TeleChatConfig#ntkRope}).
 */
@Component(service = ModelArchitecture.class)
public class TeleChatArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "telechat";
    }

    @Override
    public String description() {
        return "TeleChat-7B, TeleChat-12B (and v2), TeleChat-52B, TeleChat2-35B/115B";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("TelechatForCausalLM", "TeleChatForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return TeleChat2Architecture.LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return TeleChatConfig.from(config, true).layout();
    }
}
