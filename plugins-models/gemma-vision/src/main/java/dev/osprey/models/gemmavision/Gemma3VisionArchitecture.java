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
 * Gemma 3 with vision ({@code Gemma3ForConditionalGeneration}, model_type {@code gemma3}: 4B, 12B, 27B): a SigLIP
 * tower and {@code Gemma3MultiModalProjector} ({@link Gemma3VisionStage}) before Gemma 3's text decoder (local and
 * global layers), each image's soft tokens attending among themselves both ways.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Gemma3VisionArchitecture extends GemmaVisionFamily {

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
        return "gemma3";
    }

    @Override
    public String description() {
        return "Gemma 3 with vision (4B, 12B, 27B: SigLIP, pooled and normed projector, Gemma 3 decoder)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Gemma3ForConditionalGeneration");
    }

    @Override
    String defaultTextType() {
        return "gemma3_text";
    }

    @Override
    Set<String> textTypes() {
        return Set.of("gemma3_text");
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        int hidden = textConfig(config).requireInt("hidden_size");
        int tokens = config.getInt(256, "mm_tokens_per_image");
        long imageToken = config.getInt(262144, "image_token_index", "image_token_id");
        return parameters -> new Gemma3VisionStage(parameters, name(), vision, hidden, tokens, imageToken);
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return new Gemma3MediaProcessor(config, folder);
    }
}
