package dev.osprey.api.inference;

import java.util.List;

/**
 * How to pick tokens, with the OpenAI / vLLM meanings and defaults.
 *
 * @param maxTokens at most this many new tokens; -1 for up to the context length
 * @param temperature 0 for greedy
 * @param topP nucleus sampling; 1 for off
 * @param topK -1 for off
 * @param minP 0 for off
 * @param repetitionPenalty 1 for off
 * @param presencePenalty 0 for off
 * @param frequencyPenalty 0 for off
 * @param seed -1 for a random seed
 * @param stop strings that end the completion (not included in it)
 * @param stopTokenIds token ids that end the completion, beyond EOS
 * @param logprobs return the log probability of each chosen token
 * @param topLogprobs return this many alternatives per position (0 for none)
 */
public record SamplingParams(
        int maxTokens,
        double temperature,
        double topP,
        int topK,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        long seed,
        List<String> stop,
        List<Integer> stopTokenIds,
        boolean logprobs,
        int topLogprobs) {

    public SamplingParams {
        stop = List.copyOf(stop);
        stopTokenIds = List.copyOf(stopTokenIds);
    }

    /**
     * The seed of choice {@code index} (OpenAI's {@code n}, GRPO's generations) of a request seeded with
     * {@code seed}: the seed itself for the first choice, and for the others the seed mixed with the index
     * (SplitMix64's finalizer). java.util.Random's first draws for adjacent seeds are nearly equal, so
     * {@code seed + index} would send every choice down the same path.
     */
    public static long choiceSeed(long seed, int index) {
        if (index == 0) {
            return seed;
        }
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** These parameters for choice {@code index}: the seed from {@link #choiceSeed}, unless unseeded (-1). */
    public SamplingParams forChoice(int index) {
        return seed < 0 || index == 0
                ? this
                : new SamplingParams(
                        maxTokens,
                        temperature,
                        topP,
                        topK,
                        minP,
                        repetitionPenalty,
                        presencePenalty,
                        frequencyPenalty,
                        choiceSeed(seed, index),
                        stop,
                        stopTokenIds,
                        logprobs,
                        topLogprobs);
    }

    /** Greedy decoding of at most {@code maxTokens} tokens. */
    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(maxTokens, 0, 1, -1, 0, 1, 0, 0, -1, List.of(), List.of(), false, 0);
    }
}
