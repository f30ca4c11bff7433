package dev.osprey.model.load;

import java.util.LinkedHashSet;
import java.util.Set;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.checkpoint.WeightFiles;

/**
 * Where a decoder's parameters are in a checkpoint that is not a causal LM's: a bare base model
 * ({@code Qwen3Model}, as Qwen3-Embedding and GTE store it) has its keys without the {@code model.} prefix,
 * and neither it nor a {@code *ForSequenceClassification} checkpoint has the output head {@code lm_head}.
 */
final class CheckpointNames {

    private static final String PREFIX = "model.";
    private static final String HEAD = "lm_head.weight";
    private static final String SCORE = "score.weight";

    private final WeightFiles weights;
    private final boolean bare;
    private final boolean headless;

    private CheckpointNames(WeightFiles weights, boolean bare, boolean headless) {
        this.weights = weights;
        this.bare = bare;
        this.headless = headless;
    }

    /** @param params the decoder's parameter names, as a causal LM checkpoint stores them */
    static CheckpointNames of(ModelConfig config, WeightFiles weights, Set<String> params) {
        // bare: no parameter is stored under its own name and some are under the name without "model."
        boolean bare = params.stream().noneMatch(weights::contains)
                && params.stream()
                        .anyMatch(n -> n.startsWith(PREFIX) && weights.contains(n.substring(PREFIX.length())));
        String arch = config.architecture().orElse("");
        // a classifier's head beside the decoder, or config.json naming another head (XForSequenceClassification)
        boolean headless = !weights.contains(HEAD)
                && (bare || weights.contains(SCORE) || !arch.isEmpty() && !arch.endsWith("ForCausalLM"));
        return new CheckpointNames(weights, bare, headless);
    }

    /** The checkpoint key of a parameter. */
    String key(String param) {
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
