package dev.osprey.models.internvl;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.MediaProcessor;

/**
 * InternVL's original format ({@code InternVLChatModel}, remote code; InternVL 1.5 to 3.5): InternViT
 * ({@code vision_model.*}), the pixel shuffle and {@code mlp1}, and the language model of {@code llm_config}
 * ({@code language_model.*}). The {@code <IMG_CONTEXT>} id comes from the tokenizer's added tokens.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class InternVlChatArchitecture extends InternVlFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /** The installed architectures, the language model's family among them (not InternVL's own). */
    @Reference(
            service = ModelArchitecture.class,
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            target = ModelArchitecture.LANGUAGE_MODELS)
    volatile List<ModelArchitecture> architectures = List.of();

    public InternVlChatArchitecture() {}

    /** Outside OSGi: with these language model families. */
    InternVlChatArchitecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "internvl_chat";
    }

    @Override
    public String description() {
        return "InternVL, remote-code format (vision-language: InternViT, pixel shuffle + MLP projector,"
                + " InternLM2/Qwen2/Qwen3/Llama/Phi-3 language model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("InternVLChatModel");
    }

    @Override
    List<ModelArchitecture> installed() {
        return architectures;
    }

    @Override
    InternVlConfig config(ModelConfig config) {
        return InternVlConfig.chat(config);
    }

    @Override
    String languageField() {
        return "llm_config";
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return InternVlMediaProcessor.chat(config, folder);
    }

    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return keys(TowerNames.CHAT);
    }
}
