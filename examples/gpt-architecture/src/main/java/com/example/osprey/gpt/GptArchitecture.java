package com.example.osprey.gpt;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;

/**
 * GPT-2 ({@code GPT2LMHeadModel}): learned absolute position embeddings, LayerNorm with a bias, attention
 * whose q, k and v come from one fused {@code Conv1D} ({@code c_attn}, weights stored (in, out)), and a GELU
 * MLP. It is not a decoder of the SPI's layout: {@link GptModel} implements the API's {@code LanguageModel}
 * itself, so the platform loads, trains, aligns and serves it through that interface alone.
 */
@Component(service = ModelArchitecture.class)
public class GptArchitecture implements ModelArchitecture {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public String description() {
        return "GPT-2 (OpenAI), a LanguageModel of its own rather than an SPI decoder (example plugin)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("GPT2LMHeadModel");
    }

    /** GPT-2's Conv1D layers, PEFT's targets for it ({@code c_attn} by default). */
    @Override
    public Set<String> linearModules() {
        return Set.of("c_attn", "c_proj", "c_fc");
    }

    @Override
    public LanguageModel build(ModelConfig config, NDManager manager) {
        return new GptModel(GptConfig.from(config), config, manager);
    }
}
