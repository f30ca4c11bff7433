package dev.osprey.models.qwenvl;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;

/**
 * Qwen3.5-MoE ({@code Qwen3_5MoeForConditionalGeneration}): Qwen3.5 ({@link Qwen35Family}) whose every MLP is a
 * mixture of experts, softmax top-k always renormalised, plus a shared expert scaled by its sigmoid gate, the experts
 * stored one by one ({@code mlp.experts.N.gate_proj}...).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Qwen35MoeArchitecture extends Qwen35Family {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "qwen3_5_moe";
    }

    @Override
    public String description() {
        return "Qwen3.5-MoE (Qwen3.5 with experts and a shared expert in every layer: Qwen3.5-35B-A3B,"
                + " Qwen3.5-122B-A10B, Qwen3.5-397B-A17B)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Qwen3_5MoeForConditionalGeneration");
    }

    @Override
    boolean moe() {
        return true;
    }
}
