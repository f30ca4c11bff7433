package dev.osprey.api.inference;

import java.util.List;
import java.util.Objects;

/**
 * What to classify: texts, or token id lists (exactly one of the two), as vLLM's {@code /classify} takes them.
 *
 * @param model the model name the request gives
 * @param texts the texts, or null
 * @param tokenIds the token ids of each input, or null
 * @since 1.2
 */
public record ClassificationRequest(String model, List<String> texts, List<List<Integer>> tokenIds) {

    public ClassificationRequest {
        Objects.requireNonNull(model, "model");
        if ((texts == null) == (tokenIds == null)) {
            throw new IllegalArgumentException("give exactly one of texts and token ids");
        }
        texts = texts == null ? null : List.copyOf(texts);
        tokenIds = tokenIds == null ? null : tokenIds.stream().map(List::copyOf).toList();
    }

    /** How many inputs the request holds. */
    public int size() {
        return texts != null ? texts.size() : tokenIds.size();
    }
}
