package dev.osprey.models.llava;

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
import dev.osprey.model.spi.MediaStageFactory;

/**
 * LLaVA-NeXT in transformers' format ({@code LlavaNextForConditionalGeneration}): LLaVA 1.5's CLIP tower and
 * projector over any-resolution tiles, packed with {@code image_newline} ({@link LlavaNextStage}), before the language
 * model its {@code text_config} names. Its media processor writes {@code <image>} once per packed feature, with
 * {@code LlavaNextImageProcessor}'s tiles.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class LlavaNextArchitecture extends LlavaFamily {

    private static final String CLIP = "clip_vision_model";

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /** The installed architectures, the language model's family among them (not this bundle's). */
    @Reference(
            service = ModelArchitecture.class,
            cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY,
            target = ModelArchitecture.LANGUAGE_MODELS)
    volatile List<ModelArchitecture> architectures = List.of();

    public LlavaNextArchitecture() {}

    /** Outside OSGi: with these language model families. */
    LlavaNextArchitecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "llava_next";
    }

    @Override
    public String description() {
        return "LLaVA-NeXT, transformers format (vision-language: CLIP tower over any-resolution tiles, MLP projector,"
                + " image_newline, Llama/Mistral/Qwen2 language model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaNextForConditionalGeneration");
    }

    @Override
    List<ModelArchitecture> installed() {
        return architectures;
    }

    @Override
    String defaultTextType() {
        return "llama";
    }

    @Override
    boolean tiedByDefault() {
        return false;
    }

    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return new MultimodalKeys(List.of(LANGUAGE_MODEL), List.of(PROJECTOR, IMAGE_NEWLINE), List.of(VISION_TOWER));
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        String tower = config.getString("vision_config.model_type").orElse(CLIP);
        if (!tower.equals(CLIP)) {
            throw new IllegalArgumentException(config.source() + ": vision_config.model_type '" + tower
                    + "' is not a LLaVA-NeXT tower here (" + CLIP + " is)");
        }
        List<Integer> layers = featureLayers(config, -2);
        String strategy = config.getString("vision_feature_select_strategy").orElse("default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw new IllegalArgumentException(config.source() + ": vision_feature_select_strategy '" + strategy
                    + "' is neither 'default' nor 'full'");
        }
        int hidden = textHidden(config);
        boolean bias = config.getBoolean(true, "multimodal_projector_bias");
        String act = config.getString("projector_hidden_act").orElse("gelu");
        long imageToken = imageToken(config, 32000);
        ClipVisionTower.Config vision = ClipVisionTower.Config.read(config);
        AnyResolution tiles = AnyResolution.read(config, vision.imageSize());
        return p -> new LlavaNextStage(
                p,
                name(),
                imageToken,
                new ClipVisionTower(p, VISION_TOWER + ".vision_model", vision),
                layers,
                strategy.equals("default"),
                new LlavaProjector(p, PROJECTOR, (long) vision.hidden() * layers.size(), hidden, bias, act),
                tiles,
                vision.side(),
                hidden,
                LlavaNextStage.Tiling.NEXT,
                -1);
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        ClipVisionTower.Config vision = ClipVisionTower.Config.read(config);
        boolean full = config.getString("vision_feature_select_strategy")
                .orElse("default")
                .equals("full");
        return LlavaMediaProcessor.next(
                folder,
                (int) imageToken(config, 32000),
                vision.side(),
                full ? 1 : 0,
                AnyResolution.read(config, vision.imageSize()));
    }
}
