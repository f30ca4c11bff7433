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
import dev.osprey.model.spi.CheckpointNames;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.MediaProcessor;

/**
 * InternVL in transformers' format ({@code InternVLForConditionalGeneration}, the "-hf" ids): the same model as
 * {@link InternVlChatArchitecture} under the names transformers 5.12's {@code save_pretrained} writes
 * ({@code vision_tower.*}, {@code multi_modal_projector.*}, {@code language_model.model.*},
 * {@code language_model.lm_head}); the names of its modules in memory ({@code model.vision_tower.*},
 * {@code model.language_model.*}, {@code lm_head}), which PEFT adapters trained on transformers 5 carry, load too.
 */
@Component(service = ModelArchitecture.class, property = ModelArchitecture.COMPOSED + "=true")
public class InternVlArchitecture extends InternVlFamily {

    private static final String IN_MEMORY_MODEL = "model.";

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

    public InternVlArchitecture() {}

    /** Outside OSGi: with these language model families. */
    InternVlArchitecture(List<ModelArchitecture> languageModels) {
        this.architectures = List.copyOf(languageModels);
    }

    @Override
    public String name() {
        return "internvl";
    }

    @Override
    public String description() {
        return "InternVL, transformers format (vision-language: InternViT, pixel shuffle + MLP projector,"
                + " Qwen2/Qwen3/Llama language model)";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("InternVLForConditionalGeneration");
    }

    @Override
    List<ModelArchitecture> installed() {
        return architectures;
    }

    @Override
    InternVlConfig config(ModelConfig config) {
        return InternVlConfig.hf(config);
    }

    @Override
    String languageField() {
        return "text_config";
    }

    @Override
    public MediaProcessor mediaProcessor(ModelConfig config, Path folder) {
        return InternVlMediaProcessor.hf(config, folder);
    }

    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return keys(TowerNames.HF);
    }

    /**
     * The language model's layout with transformers 5's tying: the top-level {@code tie_word_embeddings} (true by
     * default), and only when the checkpoint holds no {@code language_model.lm_head.weight} of its own, whatever
     * {@code text_config} says.
     */
    @Override
    public DecoderLayout layout(ModelConfig config) {
        DecoderLayout l = super.layout(config);
        boolean tie = config.getBoolean(true, "tie_word_embeddings");
        if (tie && config.source() != null) {
            Path folder = config.source().toAbsolutePath().getParent();
            tie = !CheckpointNames.holds(folder, l.keys().lmHead() + ".weight");
        }
        return new DecoderLayout(
                l.vocabSize(),
                l.hiddenSize(),
                l.layers(),
                l.initStd(),
                tie,
                l.embeddingScale(),
                l.rope(),
                l.slidingWindow(),
                l.keys(),
                l.inputNorm(),
                l.attention(),
                l.postAttentionNorm(),
                l.feedForward(),
                l.finalNorm());
    }

    /** transformers 5's in-memory names to the checkpoint's. */
    @Override
    public String checkpointKey(String key) {
        if (key.startsWith(IN_MEMORY_MODEL + LANGUAGE_MODEL + ".")) {
            return LANGUAGE_MODEL + ".model." + key.substring((IN_MEMORY_MODEL + LANGUAGE_MODEL + ".").length());
        }
        if (key.startsWith(IN_MEMORY_MODEL + TowerNames.HF.tower() + ".")
                || key.startsWith(IN_MEMORY_MODEL + TowerNames.HF.projector() + ".")) {
            return key.substring(IN_MEMORY_MODEL.length());
        }
        if (key.startsWith("lm_head.")) {
            return LANGUAGE_MODEL + "." + key;
        }
        return key;
    }
}
