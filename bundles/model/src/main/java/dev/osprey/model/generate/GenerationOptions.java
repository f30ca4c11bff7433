package dev.osprey.model.generate;

import java.util.List;
import java.util.Set;

/**
 * How to generate, with the meanings and defaults of Hugging Face's {@code generate}.
 *
 * @param maxNewTokens at most this many new tokens per sequence
 * @param doSample sample (true) or take the most likely token (false)
 * @param temperature divides the logits before sampling; must be positive when sampling
 * @param topK keep the k most likely tokens; 0 keeps all
 * @param topP keep the smallest set whose probability reaches p; 1 keeps all
 * @param minP drop tokens less likely than minP times the most likely one; 0 keeps all
 * @param repetitionPenalty divides positive (multiplies negative) logits of tokens already present; 1 is off
 * @param presencePenalty subtracted once from the logit of every token already generated; 0 is off
 * @param frequencyPenalty subtracted per occurrence of a token already generated; 0 is off
 * @param seed for sampling; the same seed gives the same tokens
 * @param eosTokenIds end a sequence (from generation_config.json)
 * @param stopTokenIds end a sequence too, beyond EOS
 * @param stopStrings end a sequence when its text contains one (the string is cut off)
 */
public record GenerationOptions(
        int maxNewTokens,
        boolean doSample,
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        long seed,
        Set<Integer> eosTokenIds,
        Set<Integer> stopTokenIds,
        List<String> stopStrings) {

    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max_new_tokens must be >= 0, was " + maxNewTokens);
        }
        if (doSample && !(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be > 0 when sampling, was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], was " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], was " + minP);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("repetition_penalty must be > 0, was " + repetitionPenalty);
        }
        eosTokenIds = Set.copyOf(eosTokenIds);
        stopTokenIds = Set.copyOf(stopTokenIds);
        stopStrings = List.copyOf(stopStrings);
    }

    /** Greedy decoding of at most {@code maxNewTokens}, ending at {@code eosTokenIds}. */
    public static GenerationOptions greedy(int maxNewTokens, Set<Integer> eosTokenIds) {
        return new GenerationOptions(
                maxNewTokens, false, 1.0, 0, 1.0, 0, 1.0, 0, 0, 0, eosTokenIds, Set.of(), List.of());
    }
}
