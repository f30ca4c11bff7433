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
import dev.osprey.models.siglip.SiglipConfig;
import dev.osprey.models.siglip.SiglipVisionTower;

/**
 * LLaVA-OneVision in transformers' format ({@code LlavaOnevisionForConditionalGeneration},
 * {@code llava-hf/llava-onevision-qwen2-*-ov-hf}): the gemma-vision bundle's SigLIP tower read by its hidden states,
 * LLaVA's projector and LLaVA-NeXT's packed any-resolution tiles with OneVision's rules ({@code anyres_max_N}, only a
 * lone image tiled: {@link LlavaNextStage.Tiling}), videos ({@code pixel_values_videos}, each frame pooled 2 x 2), before
 * the language model its {@code text_config} names (Qwen2). Its media processor takes images only.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class LlavaOnevisionArchitecture extends LlavaFamily {

    private static final String SIGLIP = "siglip_vision_model";

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

    public LlavaOnevisionArchitecture() {}

    /** Outside OSGi: with these language model families. */
    LlavaOnevisionArchitecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "llava_onevision";
    }

    @Override
    public String description() {
        return "LLaVA-OneVision, transformers format (vision-language: SigLIP tower over any-resolution tiles,"
                + " anyres_max, MLP projector, image_newline, Qwen2 language model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("LlavaOnevisionForConditionalGeneration");
    }

    @Override
    List<ModelArchitecture> installed() {
        return architectures;
    }

    @Override
    String defaultTextType() {
        return "qwen2";
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
        String tower = config.getString("vision_config.model_type").orElse(SIGLIP);
        if (!tower.equals(SIGLIP)) {
            throw new IllegalArgumentException(config.source() + ": vision_config.model_type '" + tower
                    + "' is not a LLaVA-OneVision tower here (" + SIGLIP + " is)");
        }
        String strategy = config.getString("vision_feature_select_strategy").orElse("full");
        if (!strategy.equals("full")) {
            throw new IllegalArgumentException(config.source() + ": vision_feature_select_strategy '" + strategy
                    + "' is not supported for llava_onevision (SigLIP has no class token to drop; 'full' is)");
        }
        List<Integer> layers = featureLayers(config, -1);
        int hidden = textHidden(config);
        boolean bias = config.getBoolean(true, "multimodal_projector_bias");
        String act = config.getString("projector_hidden_act").orElse("gelu");
        long imageToken = imageToken(config, 151646);
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        AnyResolution tiles = AnyResolution.read(config, vision.imageSize());
        LlavaNextStage.Tiling tiling = tiling(config);
        long videoToken = config.getInt(151647, "video_token_index", "video_token_id");
        return p -> new LlavaNextStage(
                p,
                name(),
                imageToken,
                new SiglipEncoder(new SiglipVisionTower(p, VISION_TOWER + ".vision_model", vision)),
                layers,
                false,
                new LlavaProjector(p, PROJECTOR, (long) vision.hidden() * layers.size(), hidden, bias, act),
                tiles,
                vision.patchesPerSide(),
                hidden,
                tiling,
                videoToken);
    }

    /**
     * {@code LlavaOnevisionProcessor}'s: {@code <image>} per packed feature, {@code LlavaOnevisionImageProcessor}'s
     * tiles (a prompt's several images untiled) and the original {@code image_sizes}.
     */
    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        SiglipConfig vision = SiglipConfig.read(config, "vision_config");
        return LlavaMediaProcessor.oneVision(
                folder,
                (int) imageToken(config, 151646),
                vision.patchesPerSide(),
                AnyResolution.read(config, vision.imageSize()),
                tiling(config));
    }

    private static LlavaNextStage.Tiling tiling(ModelConfig config) {
        try {
            return LlavaNextStage.Tiling.oneVision(
                    config.getString("vision_aspect_ratio").orElse("anyres_max_9"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(config.source() + ": " + e.getMessage(), e);
        }
    }
}
