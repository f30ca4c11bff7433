package dev.osprey.models.gemmavision;

import java.nio.file.Path;
import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.MediaStageFactory;
import dev.osprey.models.siglip.SiglipConfig;

/**
 * PaliGemma and PaliGemma 2 ({@code PaliGemmaForConditionalGeneration}): a SigLIP tower and a linear projector
 * ({@link PaliGemmaStage}) before Gemma's (PaliGemma) or Gemma 2's (PaliGemma 2) decoder, with prefix-LM attention.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class PaliGemmaArchitecture extends GemmaVisionFamily {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Override
    @Reference(
            service = ModelArchitecture.class,
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            target = ModelArchitecture.LANGUAGE_MODELS,
            unbind = "removeArchitecture")
    void addArchitecture(ModelArchitecture architecture) {
        super.addArchitecture(architecture);
    }

    @Override
    void removeArchitecture(ModelArchitecture architecture) {
        super.removeArchitecture(architecture);
    }

    @Override
    public String name() {
        return "paligemma";
    }

    @Override
    public String description() {
        return "PaliGemma and PaliGemma 2 (vision-language: SigLIP, linear projector, Gemma / Gemma 2 decoder with"
                + " prefix-LM attention)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("PaliGemmaForConditionalGeneration");
    }

    @Override
    String defaultTextType() {
        return "gemma";
    }

    @Override
    Set<String> textTypes() {
        return Set.of("gemma", "gemma2");
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        ModelConfig text = textConfig(config);
        int hidden = text.requireInt("hidden_size");
        int projection = config.getInt(hidden, "projection_dim", "vision_config.projection_dim");
        if (projection != hidden) {
            throw new IllegalArgumentException(config.source() + ": projection_dim (" + projection
                    + ") must equal text_config.hidden_size (" + hidden + ")");
        }
        long imageToken = config.getInt(257152, "image_token_index", "image_token_id");
        return parameters -> new PaliGemmaStage(parameters, name(), vision, projection, imageToken);
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return new PaliGemmaMediaProcessor(
                config, folder, SiglipConfig.read(config, "vision_config").patches());
    }
}
