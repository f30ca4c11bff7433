package dev.osprey.models.gemmavision;

import java.util.List;
import java.util.Set;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.MultimodalKeys;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;

/**
 * What PaliGemma and Gemma 3 share: a SigLIP vision tower and a projector (their media stage) before a Gemma decoder
 * of the Gemma bundle, composed by its {@link DecoderFamily#layout} from the {@code text_config}
 * ({@link TextDecoders}), its blocks put under {@code language_model.}.
 *
 * <p>Parameters carry the names of the Hub's checkpoints: {@code vision_tower.vision_model.*},
 * {@code multi_modal_projector.*}, {@code language_model.model.*} (and {@code language_model.lm_head} when untied).
 * transformers 5.12's {@code save_pretrained} writes the tower without {@code vision_model}, and its in-memory names
 * ({@code model.vision_tower.*}, {@code model.multi_modal_projector.*}, {@code model.language_model.*},
 * {@code lm_head}), which PEFT adapters trained on it carry, load too ({@link #checkpointKey}).
 */
abstract class GemmaVisionFamily extends DecoderFamily {

    /** The vision tower's checkpoint prefix, ms-swift's {@code vision_tower}. */
    static final String VISION_TOWER = "vision_tower";

    /** Where the SigLIP blocks are under {@link #VISION_TOWER}. */
    static final String VISION_MODEL = VISION_TOWER + ".vision_model";

    /** The aligner's checkpoint prefix, ms-swift's {@code aligner}. */
    static final String PROJECTOR = "multi_modal_projector";

    /** The language model's checkpoint prefix, ms-swift's {@code language_model}. */
    static final String LANGUAGE_MODEL = "language_model";

    private static final List<String> TOWER_PARTS = List.of("embeddings.", "encoder.", "post_layernorm.");

    final TextDecoders decoders = new TextDecoders();

    /** The model type of a {@code text_config} that names none. */
    abstract String defaultTextType();

    /** The language models the family is built on. */
    abstract Set<String> textTypes();

    /** The language model's config. */
    ModelConfig textConfig(ModelConfig config) {
        return TextDecoders.textConfig(config, defaultTextType());
    }

    /** The Gemma family of the language model. */
    DecoderFamily textFamily(ModelConfig text) {
        return decoders.family(text, name(), textTypes());
    }

    /** Makes an architecture the Gemma bundle publishes available as a language model (tests call it directly). */
    void addArchitecture(ModelArchitecture architecture) {
        decoders.add(architecture);
    }

    void removeArchitecture(ModelArchitecture architecture) {
        decoders.remove(architecture);
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        ModelConfig text = textConfig(config);
        DecoderLayout layout = textFamily(text).layout(text);
        CheckpointKeys k = layout.keys();
        String prefix = LANGUAGE_MODEL + ".";
        return layout.withKeys(new CheckpointKeys(
                prefix + k.embedTokens(),
                prefix + k.layers(),
                prefix + k.finalNorm(),
                prefix + k.lmHead(),
                k.inputNorm(),
                k.attention(),
                k.postAttentionNorm(),
                k.feedForward()));
    }

    /**
     * None: {@code PaliGemmaForConditionalGeneration} and {@code Gemma3ForConditionalGeneration} apply their own
     * {@code lm_head} to the decoder's states and leave out {@code final_logit_softcapping}, which Gemma 2's causal
     * LM applies (PaliGemma 2's text_config has it).
     */
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
        String k = key.startsWith("model.") ? key.substring("model.".length()) : key;
        if (k.startsWith(VISION_TOWER + ".")) {
            String rest = k.substring(VISION_TOWER.length() + 1);
            return TOWER_PARTS.stream().anyMatch(rest::startsWith) ? VISION_MODEL + "." + rest : k;
        }
        if (k.startsWith(PROJECTOR + ".")) {
            return k;
        }
        if (key.startsWith("model." + LANGUAGE_MODEL + ".")) {
            return LANGUAGE_MODEL + ".model." + k.substring(LANGUAGE_MODEL.length() + 1);
        }
        if (key.startsWith("lm_head.")) {
            return LANGUAGE_MODEL + "." + key;
        }
        return key;
    }
}
