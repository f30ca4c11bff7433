package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * Qwen2.5-VL ({@code Qwen2_5_VLForConditionalGeneration}): Qwen2-VL with a ViT of RMSNorm blocks and a SwiGLU MLP
 * whose blocks attend within windows except those of {@code fullatt_block_indexes}, an RMSNorm in the merger, and
 * videos whose temporal positions follow time ({@code tokens_per_second}).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen25VlArchitecture extends QwenVlFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen2_5_vl";
    }

    @Override
    public String description() {
        return "Qwen2.5-VL (vision-language: window-attention ViT, patch merger, M-RoPE Qwen2 decoder)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen2_5_VLForConditionalGeneration");
    }

    @Override
    Qwen2VlConfig config(ModelConfig config) {
        return Qwen2VlConfig.qwen25(config);
    }
}
