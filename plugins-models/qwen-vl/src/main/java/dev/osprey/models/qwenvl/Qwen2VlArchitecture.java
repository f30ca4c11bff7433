package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * Qwen2-VL ({@code Qwen2VLForConditionalGeneration}): a ViT of LayerNorm blocks with 2-D rotary positions and a
 * QuickGELU MLP, attending over each image, and a patch merger, before Qwen2's decoder with M-RoPE.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen2VlArchitecture extends QwenVlFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen2_vl";
    }

    @Override
    public String description() {
        return "Qwen2-VL (vision-language: ViT with 2-D RoPE, patch merger, M-RoPE Qwen2 decoder)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen2VLForConditionalGeneration");
    }

    @Override
    Qwen2VlConfig config(ModelConfig config) {
        return Qwen2VlConfig.from(config);
    }
}
