package dev.osprey.api.inference;

import java.util.List;
import java.util.Map;

/**
 * Newly generated tokens, streamed to the listener.
 *
 * @param text the text these tokens add (may be empty while a multi-byte character is incomplete)
 * @param tokenIds the ids
 * @param logprobs the log probability of each id, or empty when not asked for
 * @param topLogprobs per position, the alternatives and their log probabilities, or empty
 */
public record TokenChunk(
        String text, List<Integer> tokenIds, List<Double> logprobs, List<Map<String, Double>> topLogprobs) {

    public TokenChunk {
        tokenIds = List.copyOf(tokenIds);
        logprobs = List.copyOf(logprobs);
        topLogprobs = List.copyOf(topLogprobs);
    }
}
