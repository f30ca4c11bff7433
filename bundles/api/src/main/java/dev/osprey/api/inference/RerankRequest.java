package dev.osprey.api.inference;

import java.util.List;
import java.util.Objects;

/**
 * A query and the documents to score against it, as vLLM's, Jina's and Cohere's {@code /rerank} take them.
 *
 * @param model the model name the request gives
 * @param query the query
 * @param documents the documents, in the order their scores come back
 * @param instruction the task instruction a generative reranker's prompt carries, or null for the model's default
 * @since 1.2
 */
public record RerankRequest(String model, String query, List<String> documents, String instruction) {

    public RerankRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(query, "query");
        documents = List.copyOf(documents);
    }
}
