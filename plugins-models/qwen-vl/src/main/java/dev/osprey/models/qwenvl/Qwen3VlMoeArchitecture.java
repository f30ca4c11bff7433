package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * Qwen3-VL-MoE ({@code Qwen3VLMoeForConditionalGeneration}): Qwen3-VL whose language model is Qwen3-MoE's, a
 * mixture of experts ({@link Qwen3VlMoeExperts}) in its sparse layers.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen3VlMoeArchitecture extends QwenVlFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen3_vl_moe";
    }

    @Override
    public String description() {
        return "Qwen3-VL-MoE (Qwen3-VL with a mixture-of-experts Qwen3 decoder: Qwen3-VL-30B-A3B, Qwen3-VL-235B-A22B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3VLMoeForConditionalGeneration");
    }

    /** Qwen3-VL's checkpoints store the names transformers 5 keeps in memory. */
    @Override
    public String checkpointKey(String key) {
        return key;
    }

    @Override
    Qwen2VlConfig config(ModelConfig config) {
        return Qwen2VlConfig.qwen3(config, true);
    }
}
