package dev.osprey.api.inference;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives a generation as it happens. A backend calls it from its own threads, never concurrently for
 * one request, in the order chunks*, then exactly one of {@link #completed} or {@link #failed}. Methods
 * must return quickly (hand off to the HTTP layer); a listener that throws cancels its request.
 */
@ConsumerType
public interface GenerationListener {

    /** The prompt was accepted and counted; called once, before the first chunk. */
    default void started(int promptTokens) {}

    void chunk(TokenChunk chunk);

    /**
     * @param finishReason {@code stop}, {@code length} or {@code cancelled}, as in OpenAI's API
     * @param promptTokens tokens read
     * @param completionTokens tokens generated
     */
    void completed(String finishReason, int promptTokens, int completionTokens);

    /** The request failed; the message is fit for an API error. */
    void failed(Throwable error);
}
