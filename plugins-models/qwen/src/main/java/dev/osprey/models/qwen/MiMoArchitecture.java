package dev.osprey.models.qwen;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * Xiaomi's MiMo ({@code MiMoForCausalLM}, model_type {@code mimo}; remote code on the Hub): Qwen2's decoder.
 * Its checkpoints also hold {@code num_nextn_predict_layers} multi-token-prediction layers under
 * {@code model.mtp_layers}, which MiMo's own causal LM never runs (they serve speculative decoding): they are
 * loaded as unused weights, not trained, and not written back by a full fine-tune.
 */
@Component(service = ModelArchitecture.class)
public class MiMoArchitecture extends DecoderFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "mimo";
    }

    @Override
    public String description() {
        return "Xiaomi MiMo-7B (Base, SFT, RL): Qwen2's decoder; its multi-token-prediction layers are not run";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("MiMoForCausalLM");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return Qwen2Architecture.Qwen2Config.from(config).layout();
    }
}
