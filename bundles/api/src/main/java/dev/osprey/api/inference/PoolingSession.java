package dev.osprey.api.inference;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A session whose model is served for a task beyond generating text: embeddings ({@code POST /v1/embeddings}),
 * relevance scores ({@code POST /v1/rerank}) or a classifier's logits ({@code POST /classify}). An {@link InferenceSession} implements it besides when its
 * backend can run such models; the server answers those routes for the sessions that do.
 *
 * <p>Called from many threads at once.
 *
 * @since 1.2
 */
@ConsumerType
public interface PoolingSession {

    /** The task the model is served for, by ms-swift's {@code --task_type}: {@code embedding}, {@code reranker}, ... */
    String task();

    /**
     * The L2-normalised embeddings of the inputs, in their order.
     *
     * @throws InvalidRequestException naming the field at fault (an unknown model, an input beyond the context,
     *         {@code dimensions} the model cannot give, a model served for another task)
     */
    EmbeddingResult embed(EmbeddingRequest request);

    /**
     * The relevance score of each document to the query, in the documents' order.
     *
     * @throws InvalidRequestException naming the field at fault
     */
    RerankResult rerank(RerankRequest request);

    /**
     * The classification head's logits for each input (classifiers, reward models), in their order.
     *
     * @throws InvalidRequestException naming the field at fault
     */
    ClassificationResult classify(ClassificationRequest request);
}
