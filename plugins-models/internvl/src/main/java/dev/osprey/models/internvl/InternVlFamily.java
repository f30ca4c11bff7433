package dev.osprey.models.internvl;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.MediaStageFactory;

/**
 * What both InternVL formats share: InternViT and the pixel-shuffle projector ({@link InternVlStage}) before a
 * language model that is another family's decoder, InternLM2, Qwen2, Qwen3, Llama or Phi-3 as its config says. That
 * family is found among the installed architectures by the language model's {@code architectures} (else its
 * {@code model_type}), and its layout is used as it is, its checkpoint keys under {@code language_model.}, where both
 * formats' checkpoints keep it ({@code language_model.model.*}, {@code language_model.lm_head} or InternLM2's
 * {@code language_model.output}).
 */
abstract class InternVlFamily extends DecoderFamily {

    /** Where both formats' checkpoints keep the language model. */
    static final String LANGUAGE_MODEL = "language_model";

    /** The LoRA targets of the language models InternVL is built on (Llama's and Qwen's, InternLM2's, Phi-3's). */
    private static final Set<String> LINEAR_MODULES = Set.copyOf(
            union(LLAMA_LINEAR_MODULES, Set.of("wqkv", "wo", "w1", "w2", "w3"), Set.of("qkv_proj", "gate_up_proj")));

    /** The architectures installed now, among which the language model's family is found. */
    abstract List<ModelArchitecture> installed();

    /** The config.json of this format. */
    abstract InternVlConfig config(ModelConfig config);

    /** The config field that holds the language model's config, for messages. */
    abstract String languageField();

    @Override
    public DecoderLayout layout(ModelConfig config) {
        ModelConfig language = config(config).language();
        DecoderLayout layout = languageFamily(config, language).layout(language);
        CheckpointKeys k = layout.keys();
        String at = LANGUAGE_MODEL + ".";
        return layout.withKeys(new CheckpointKeys(
                at + k.embedTokens(),
                at + k.layers(),
                at + k.finalNorm(),
                at + k.lmHead(),
                k.inputNorm(),
                k.attention(),
                k.postAttentionNorm(),
                k.feedForward()));
    }

    @Override
    public double finalLogitSoftcap(ModelConfig config) {
        ModelConfig language = config(config).language();
        return languageFamily(config, language).finalLogitSoftcap(language);
    }

    @Override
    public MediaStageFactory mediaStage(ModelConfig config) {
        InternVlConfig c = config(config);
        int hidden = layout(config).hiddenSize();
        return parameters -> new InternVlStage(parameters, name(), c, hidden);
    }

    @Override
    public Set<String> linearModules() {
        return LINEAR_MODULES;
    }

    /** The decoder family of the language model, among those installed. */
    DecoderFamily languageFamily(ModelConfig config, ModelConfig language) {
        List<String> wanted = language.get("architectures").orElse(null) instanceof List<?> names
                ? names.stream().map(String::valueOf).toList()
                : List.of();
        String type = language.getString("model_type").orElse(null);
        List<ModelArchitecture> all = installed();
        for (ModelArchitecture a : all) {
            if (a instanceof DecoderFamily family
                    && !(a instanceof InternVlFamily)
                    && wanted.stream().anyMatch(a.architectures()::contains)) {
                return family;
            }
        }
        for (ModelArchitecture a : all) {
            if (a instanceof DecoderFamily family
                    && !(a instanceof InternVlFamily)
                    && a.name().equals(type)) {
                return family;
            }
        }
        throw new IllegalArgumentException(config.source() + ": " + name() + "'s language model ("
                + languageField() + ".architectures " + wanted + ", model_type " + type
                + ") is not an installed decoder family; installed: "
                + all.stream()
                        .filter(a -> a instanceof DecoderFamily && !(a instanceof InternVlFamily))
                        .map(a -> a.name())
                        .sorted()
                        .toList());
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> all = new HashSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return all;
    }

    /** ms-swift's modules: the language model, the aligner (projector) and the vision tower, by key prefix. */
    static MultimodalKeys keys(TowerNames names) {
        return new MultimodalKeys(List.of(LANGUAGE_MODEL), List.of(names.projector()), List.of(names.tower()));
    }
}
