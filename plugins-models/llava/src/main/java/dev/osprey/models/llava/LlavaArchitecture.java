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
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.MediaStageFactory;

/**
 * LLaVA in transformers' format ({@code LlavaForConditionalGeneration}): a CLIP tower (LLaVA 1.5, the class token
 * dropped by the "default" {@code vision_feature_select_strategy}) or a Pixtral tower (Pixtral 12B, every patch a
 * token), LLaVA's two-layer MLP projector, and the language model its {@code text_config} names (Llama, Mistral...).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class LlavaArchitecture extends LlavaFamily {

    private static final String CLIP = "clip_vision_model";
    private static final String PIXTRAL = "pixtral";

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

    public LlavaArchitecture() {}

    /** Outside OSGi: with these language model families. */
    LlavaArchitecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "llava";
    }

    @Override
    public String description() {
        return "LLaVA, transformers format (vision-language: CLIP or Pixtral tower, MLP projector, Llama/Mistral"
                + " language model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaForConditionalGeneration");
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
    public MediaStageFactory mediaStage(ModelConfig config) {
        String tower = config.getString("vision_config.model_type").orElse(CLIP);
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
        boolean dropClass = strategy.equals("default");
        return switch (tower) {
            case CLIP -> {
                ClipVisionTower.Config vision = ClipVisionTower.Config.read(config);
                yield p -> new VisionStage(
                        name(),
                        imageToken,
                        new ClipVisionTower(p, VISION_TOWER + ".vision_model", vision),
                        layers,
                        dropClass,
                        new LlavaProjector(p, PROJECTOR, (long) vision.hidden() * layers.size(), hidden, bias, act));
            }
            case PIXTRAL -> {
                if (dropClass) {
                    throw new IllegalArgumentException(config.source() + ": a Pixtral tower has no class token;"
                            + " vision_feature_select_strategy must be 'full'");
                }
                PixtralConfig vision = PixtralConfig.read(config);
                yield p -> new VisionStage(
                        name(),
                        imageToken,
                        new PixtralVisionTower(p, VISION_TOWER, vision),
                        layers,
                        false,
                        new LlavaProjector(p, PROJECTOR, (long) vision.hidden() * layers.size(), hidden, bias, act));
            }
            default ->
                throw new IllegalArgumentException(config.source() + ": vision_config.model_type '" + tower
                        + "' is not a LLaVA tower here (" + CLIP + " and " + PIXTRAL + " are)");
        };
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        int imageToken = (int) imageToken(config, 32000);
        if (config.getString("vision_config.model_type").orElse(CLIP).equals(PIXTRAL)) {
            return LlavaMediaProcessor.pixtral(
                    folder, imageToken, PixtralConfig.read(config).patchSize());
        }
        boolean full = config.getString("vision_feature_select_strategy")
                .orElse("default")
                .equals("full");
        return LlavaMediaProcessor.llava(
                folder, imageToken, ClipVisionTower.Config.read(config).patchSize(), full ? 1 : 0);
    }
}
