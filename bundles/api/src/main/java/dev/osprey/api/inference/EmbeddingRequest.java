package dev.osprey.api.inference;

import java.util.List;
import java.util.Objects;

/**
 * What to embed: texts, or token id lists, each one input of OpenAI's {@code input} (exactly one of the two).
 *
 * @param model the model name the request gives
 * @param texts the texts, or null
 * @param tokenIds the token ids of each input, or null
 * @param dimensions the leading components to keep, renormalised (OpenAI's {@code dimensions}, Matryoshka
 *        truncation); 0 for all
 * @since 1.2
 */
public record EmbeddingRequest(String model, List<String> texts, List<List<Integer>> tokenIds, int dimensions) {

    public EmbeddingRequest {
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
