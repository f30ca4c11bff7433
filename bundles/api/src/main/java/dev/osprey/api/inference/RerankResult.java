package dev.osprey.api.inference;

import java.util.List;

/**
 * The relevance score of each document, in the request's order, and the tokens read.
 *
 * @param scores in [0, 1] for rerankers whose score is a probability (the sigmoid of a logit)
 * @param promptTokens every token the model read ({@code usage.prompt_tokens}, also {@code total_tokens})
 * @since 1.2
 */
public record RerankResult(List<Double> scores, int promptTokens) {

    public RerankResult {
        scores = List.copyOf(scores);
    }
}
