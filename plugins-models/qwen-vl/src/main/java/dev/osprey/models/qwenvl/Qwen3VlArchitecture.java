package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * Qwen3-VL ({@code Qwen3VLForConditionalGeneration}): a ViT of 16-pixel patches with learned positions interpolated
 * to each image, 2-D rotary positions and a tanh-GELU MLP, a patch merger and DeepStack mergers whose features are
 * added to the first language-model layers, before Qwen3's decoder (q/k norms) with interleaved M-RoPE.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen3VlArchitecture extends QwenVlFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen3_vl";
    }

    @Override
    public String description() {
        return "Qwen3-VL (vision-language: ViT with learned positions and DeepStack, interleaved M-RoPE Qwen3 decoder)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3VLForConditionalGeneration");
    }

    /** Qwen3-VL's checkpoints store the names transformers 5 keeps in memory. */
    @Override
    public String checkpointKey(String key) {
        return key;
    }

    @Override
    Qwen2VlConfig config(ModelConfig config) {
        return Qwen2VlConfig.qwen3(config, false);
    }
}
