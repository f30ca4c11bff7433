package dev.osprey.model.load;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import dev.osprey.api.model.LanguageModel;
import dev.osprey.checkpoint.WeightFiles;

/**
 * Where a decoder's parameters are in a checkpoint stored under other names than the model's own: another layout of
 * the same model ({@link LanguageModel#checkpointKey}: Qwen2-VL as transformers 5 names it in memory); a bare base
 * model ({@code Qwen3Model}, as Qwen3-Embedding and GTE store it), whose keys lack the {@code model.} prefix; and,
 * neither it nor a {@code *ForSequenceClassification} checkpoint having one, the output head {@code lm_head}.
 */
final class CheckpointNames {

    private static final String PREFIX = "model.";
    private static final String HEAD = "lm_head.weight";
    private static final String SCORE = "score.weight";

    private final WeightFiles weights;
    private final Map<String, String> aliases;
    private final boolean bare;
    private final boolean headless;

    private CheckpointNames(WeightFiles weights, Map<String, String> aliases, boolean bare, boolean headless) {
        this.weights = weights;
        this.aliases = aliases;
        this.bare = bare;
        this.headless = headless;
    }

    /** @param params the decoder's parameter names, as a causal LM checkpoint stores them */
    static CheckpointNames of(LanguageModel model, WeightFiles weights, Set<String> params) {
        Map<String, String> aliases = new HashMap<>(); // parameter -> the key another layout stores it under
        for (String key : weights.names()) {
            String parameter = model.checkpointKey(key);
            if (!parameter.equals(key) && !weights.contains(parameter)) {
                aliases.put(parameter, key);
            }
        }
        // bare: no parameter is stored under its own name and some are under the name without "model."
        boolean bare = params.stream().noneMatch(weights::contains)
                && params.stream()
                        .anyMatch(n -> n.startsWith(PREFIX) && weights.contains(n.substring(PREFIX.length())));
        String arch = model.config().architecture().orElse("");
        // a classifier's head beside the decoder, or config.json naming another head (XForSequenceClassification)
        boolean headless = !weights.contains(HEAD)
                && (bare || weights.contains(SCORE) || !arch.isEmpty() && !arch.endsWith("ForCausalLM"));
        return new CheckpointNames(weights, aliases, bare, headless);
    }

    /** The checkpoint key of a parameter. */
    String key(String param) {
        String alias = aliases.get(param);
        if (alias != null) {
            return alias;
        }
        return bare && param.startsWith(PREFIX) ? param.substring(PREFIX.length()) : param;
    }

    /** Whether the checkpoint has the parameter, under its key. */
    boolean stored(String param) {
        return weights.contains(key(param));
    }

    /** The output head of a checkpoint that has none (a classifier's or a bare base model's). */
    boolean headless(String param) {
        return headless && param.equals(HEAD);
    }

    /** The keys of {@code params}. */
    Set<String> keys(Set<String> params) {
        Set<String> keys = new LinkedHashSet<>();
        params.forEach(p -> keys.add(key(p)));
        return keys;
    }
}
