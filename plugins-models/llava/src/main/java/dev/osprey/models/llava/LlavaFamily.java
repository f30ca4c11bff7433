package dev.osprey.models.llava;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.CheckpointNames;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.TextConfigSection;

/**
 * What the LLaVA-style families share: a vision tower and a projector (their {@link VisionStage}) before a language
 * model that is another installed family's decoder, the one {@code text_config} names (its {@code architectures},
 * else its {@code model_type}: Mistral, Llama, Qwen2...), used as it is with its checkpoint keys under
 * {@code language_model.}.
 *
 * <p>Parameters carry the names of the Hub's checkpoints: {@code vision_tower.*} (a CLIP tower under
 * {@code vision_tower.vision_model.*}), {@code multi_modal_projector.*}, {@code language_model.model.*},
 * {@code language_model.lm_head}. transformers 5.12's {@code save_pretrained} writes CLIP's tower without
 * {@code vision_model}, and its in-memory names ({@code model.vision_tower.*}, {@code model.multi_modal_projector.*},
 * {@code model.language_model.*}, {@code lm_head}), which PEFT adapters trained on it carry, load too
 * ({@link #checkpointKey}).
 */
abstract class LlavaFamily extends DecoderFamily {

    /** The vision tower's checkpoint prefix, ms-swift's {@code vision_tower}. */
    static final String VISION_TOWER = "vision_tower";

    /** The aligner's checkpoint prefix, ms-swift's {@code aligner}. */
    static final String PROJECTOR = "multi_modal_projector";

    /** The language model's checkpoint prefix, ms-swift's {@code language_model}. */
    static final String LANGUAGE_MODEL = "language_model";

    /** LLaVA-NeXT's row end, a parameter of its own beside the projector. */
    static final String IMAGE_NEWLINE = "image_newline";

    private static final String IN_MEMORY = "model.";
    private static final List<String> CLIP_PARTS =
            List.of("embeddings.", "encoder.", "pre_layrnorm.", "post_layernorm.");

    /** The architectures installed now, among which the language model's family is found. */
    abstract List<ModelArchitecture> installed();

    /** The {@code text_config.model_type} of a config that names none (transformers' default for the class). */
    abstract String defaultTextType();

    /** The top-level {@code tie_word_embeddings} of a config that leaves it out (transformers' class default). */
    abstract boolean tiedByDefault();

    /** The language model's config. */
    TextConfigSection text(ModelConfig config) {
        return TextSection.of(config, defaultTextType());
    }

    /** The decoder family of the language model, among those installed (not this bundle's). */
    DecoderFamily languageFamily(ModelConfig config, TextConfigSection text) {
        List<String> wanted = text.architectures();
        List<ModelArchitecture> all = installed();
        for (ModelArchitecture a : all) {
            if (a instanceof DecoderFamily family
                    && !(a instanceof LlavaFamily)
                    && wanted.stream().anyMatch(a.architectures()::contains)) {
                return family;
            }
        }
        for (ModelArchitecture a : all) {
            if (a instanceof DecoderFamily family
                    && !(a instanceof LlavaFamily)
                    && a.name().equals(text.modelType())) {
                return family;
            }
        }
        throw new IllegalArgumentException(config.source() + ": " + name() + "'s language model (text_config"
                + ".architectures " + wanted + ", model_type " + text.modelType()
                + ") is not an installed decoder family; installed: "
                + all.stream()
                        .filter(a -> a instanceof DecoderFamily && !(a instanceof LlavaFamily))
                        .map(ModelArchitecture::name)
                        .sorted()
                        .toList());
    }

    /**
     * The language model's layout, its keys under {@code language_model.}, tied as transformers 5 ties these models:
     * by the top-level {@code tie_word_embeddings}, and only when the checkpoint holds no
     * {@code language_model.lm_head.weight} of its own.
     */
    @Override
    public DecoderLayout layout(ModelConfig config) {
        TextConfigSection text = text(config);
        DecoderLayout l = languageFamily(config, text).layout(text);
        CheckpointKeys k = l.keys();
        String at = LANGUAGE_MODEL + ".";
        CheckpointKeys keys = new CheckpointKeys(
                at + k.embedTokens(),
                at + k.layers(),
                at + k.finalNorm(),
                at + k.lmHead(),
                k.inputNorm(),
                k.attention(),
                k.postAttentionNorm(),
                k.feedForward());
        boolean tie = config.getBoolean(tiedByDefault(), "tie_word_embeddings");
        if (tie && config.source() != null) {
            Path folder = config.source().toAbsolutePath().getParent();
            tie = !CheckpointNames.holds(folder, keys.lmHead() + ".weight");
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
                keys,
                l.inputNorm(),
                l.attention(),
                l.postAttentionNorm(),
                l.feedForward(),
                l.finalNorm());
    }

    /** None: the {@code ForConditionalGeneration} heads apply their own {@code lm_head} to the decoder's states. */
    @Override
    public double finalLogitSoftcap(ModelConfig config) {
        return 0;
    }

    @Override
    public MultimodalKeys multimodalKeys(ModelConfig config) {
        return new MultimodalKeys(List.of(LANGUAGE_MODEL), List.of(PROJECTOR), List.of(VISION_TOWER));
    }

    /** transformers 5's saved and in-memory names to the Hub's. */
    @Override
    public String checkpointKey(String key) {
        String k = key.startsWith(IN_MEMORY) ? key.substring(IN_MEMORY.length()) : key;
        if (k.startsWith(VISION_TOWER + ".")) {
            String rest = k.substring(VISION_TOWER.length() + 1);
            return CLIP_PARTS.stream().anyMatch(rest::startsWith) ? VISION_TOWER + ".vision_model." + rest : k;
        }
        if (k.startsWith(PROJECTOR + ".") || k.equals(IMAGE_NEWLINE)) {
            return k;
        }
        if (key.startsWith(IN_MEMORY + LANGUAGE_MODEL + ".")) {
            return LANGUAGE_MODEL + ".model." + k.substring(LANGUAGE_MODEL.length() + 1);
        }
        if (key.startsWith("lm_head.")) {
            return LANGUAGE_MODEL + "." + key;
        }
        return key;
    }

    /** The language model's width. */
    int textHidden(ModelConfig config) {
        return layout(config).hiddenSize();
    }

    /** {@code vision_feature_layer}: one index or a list. */
    static List<Integer> featureLayers(ModelConfig config, int defaultLayer) {
        Object given = config.get("vision_feature_layer").orElse(defaultLayer);
        if (given instanceof Number n) {
            return List.of(n.intValue());
        }
        if (given instanceof List<?> list && list.stream().allMatch(Number.class::isInstance)) {
            return list.stream().map(n -> ((Number) n).intValue()).toList();
        }
        throw new IllegalArgumentException(
                config.source() + ": vision_feature_layer must be an integer or a list of them, was " + given);
    }

    /** {@code image_token_index} (or {@code image_token_id}). */
    static long imageToken(ModelConfig config, int defaultId) {
        return config.getInt(defaultId, "image_token_index", "image_token_id");
    }
}
