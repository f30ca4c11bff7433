package dev.osprey.api.inference;

import java.util.List;

/**
 * Embeddings, one per input in the request's order, and the tokens read.
 *
 * @param embeddings each of norm 1
 * @param promptTokens every input token the model read ({@code usage.prompt_tokens})
 * @since 1.2
 */
public record EmbeddingResult(List<float[]> embeddings, int promptTokens) {

    public EmbeddingResult {
        embeddings = List.copyOf(embeddings);
    }
}
