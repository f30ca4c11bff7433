package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;

/**
 * Qwen3.5 ({@code Qwen3_5ForConditionalGeneration}): Qwen3-VL's vision tower without DeepStack before Qwen3-Next's
 * hybrid decoder with a dense SwiGLU MLP ({@link Qwen35Family}).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen35Architecture extends Qwen35Family {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen3_5";
    }

    @Override
    public String description() {
        return "Qwen3.5 (vision-language: Qwen3-VL's ViT without DeepStack, Qwen3-Next's hybrid gated DeltaNet"
                + " decoder with interleaved M-RoPE)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3_5ForConditionalGeneration");
    }

    @Override
    boolean moe() {
        return false;
    }
}
