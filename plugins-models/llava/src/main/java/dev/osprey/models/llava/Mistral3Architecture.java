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
 * Mistral 3 ({@code Mistral3ForConditionalGeneration}: Mistral Small 3.1 / 3.2): the Pixtral tower, the RMSNorm +
 * patch merger + MLP projector ({@link Mistral3Projector}) and the language model its {@code text_config} names
 * (Mistral's decoder for Mistral Small, the llama bundle's {@code ministral3} for Ministral 3).
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class Mistral3Architecture extends LlavaFamily {

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

    public Mistral3Architecture() {}

    /** Outside OSGi: with these language model families. */
    Mistral3Architecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "mistral3";
    }

    @Override
    public String description() {
        return "Mistral 3 (vision-language: Pixtral tower, patch merger + MLP projector, Mistral or Ministral 3 language"
                + " model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("Mistral3ForConditionalGeneration");
    }

    @Override
    List<ModelArchitecture> installed() {
        return architectures;
    }

    @Override
    String defaultTextType() {
        return "mistral";
    }

    @Override
    boolean tiedByDefault() {
        return true;
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        if (config.get("vision_config.model_type")
                .map(String::valueOf)
                .orElse("pixtral")
                .equals("pixtral")) {
            PixtralConfig vision = PixtralConfig.read(config);
            List<Integer> layers = featureLayers(config, -1);
            if (layers.size() != 1) {
                throw new IllegalArgumentException(config.source()
                        + ": vision_feature_layer must be one layer for mistral3 (its projector norms one state)");
            }
            int hidden = textHidden(config);
            double eps = text(config).getDouble(1e-6, "rms_norm_eps");
            int merge = config.getInt(2, "spatial_merge_size");
            boolean bias = config.getBoolean(false, "multimodal_projector_bias");
            String act = config.getString("projector_hidden_act").orElse("gelu");
            long imageToken = imageToken(config, 10);
            return p -> new VisionStage(
                    name(),
                    imageToken,
                    new PixtralVisionTower(p, VISION_TOWER, vision),
                    layers,
                    false,
                    new Mistral3Projector(p, PROJECTOR, vision.hidden(), hidden, eps, merge, bias, act));
        }
        throw new IllegalArgumentException(config.source() + ": vision_config.model_type '"
                + config.get("vision_config.model_type").orElseThrow() + "' is not a mistral3 tower (pixtral is)");
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        PixtralConfig vision = PixtralConfig.read(config);
        int merge = config.getInt(2, "spatial_merge_size");
        return LlavaMediaProcessor.pixtral(folder, (int) imageToken(config, 10), vision.patchSize() * merge);
    }
}
