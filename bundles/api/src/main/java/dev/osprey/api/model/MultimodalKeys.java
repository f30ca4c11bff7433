package dev.osprey.api.model;

import java.util.List;
import java.util.Optional;

/**
 * The modules a multimodal model is composed of, as parameter-key prefixes, named as ms-swift's
 * {@code MultiModelKeys} names them, so that {@code --freeze_vit}, {@code --freeze_aligner} and {@code --freeze_llm}
 * (and per-module learning rates) select their parameters. A key belongs to the module of its longest matching
 * prefix: Qwen2-VL's aligner {@code visual.merger} lies inside its vision tower {@code visual}.
 *
 * @param languageModel the language model's prefixes ({@code model}, {@code lm_head})
 * @param aligner the projector between the encoders and the language model ({@code visual.merger})
 * @param visionTower the vision encoder's prefixes ({@code visual})
 */
public record MultimodalKeys(List<String> languageModel, List<String> aligner, List<String> visionTower) {

    /** What {@link #moduleOf} answers, ms-swift's names. */
    public static final String LANGUAGE_MODEL = "language_model";

    public static final String ALIGNER = "aligner";
    public static final String VISION_TOWER = "vision_tower";

    public MultimodalKeys {
        languageModel = List.copyOf(languageModel);
        aligner = List.copyOf(aligner);
        visionTower = List.copyOf(visionTower);
    }

    /**
     * The module a parameter belongs to: {@link #LANGUAGE_MODEL}, {@link #ALIGNER} or {@link #VISION_TOWER}, by the
     * longest prefix that is the key or a dotted start of it; empty when none matches.
     */
    public Optional<String> moduleOf(String parameterKey) {
        String best = null;
        int longest = -1;
        String[] modules = {LANGUAGE_MODEL, ALIGNER, VISION_TOWER};
        List<List<String>> prefixes = List.of(languageModel, aligner, visionTower);
        for (int i = 0; i < modules.length; i++) {
            for (String p : prefixes.get(i)) {
                if ((parameterKey.equals(p) || parameterKey.startsWith(p + ".")) && p.length() > longest) {
                    best = modules[i];
                    longest = p.length();
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
