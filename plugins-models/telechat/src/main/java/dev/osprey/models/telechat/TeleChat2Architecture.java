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
 * TeleChat2 ({@code TeleChat2ForCausalLM}, model_type {@code telechat2}: TeleChat2-3B, -7B-32K, -35B-32K/Nov):
 * TeleChat's decoder and names ({@link TeleChatArchitecture}); the rotary embedding is transformers' from
 * {@code rope_theta} / {@code rope_scaling} where the config has them (its transformers-style code; vLLM's
 * telechat2.py reads it so too), else TeleChat's NTK-scaled base ({@link TeleChatConfig#ntkRope}).
 */
@Component(service = ModelArchitecture.class)
public class TeleChat2Architecture extends DecoderFamily {

    /** TeleChat's projections, LoRA's targets. */
    static final Set<String> LINEAR_MODULES =
            Set.of("query", "key_value", "dense", "gate_proj", "up_proj", "down_proj");

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "telechat2";
    }

    @Override
    public String description() {
        return "TeleChat2-3B, TeleChat2-7B-32K, TeleChat2-35B-32K and -Nov";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("TeleChat2ForCausalLM");
    }

    @Override
    public Set<String> linearModules() {
        return LINEAR_MODULES;
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return TeleChatConfig.from(config, false).layout();
    }
}
