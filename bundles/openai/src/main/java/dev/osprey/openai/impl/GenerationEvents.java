package dev.osprey.openai.impl;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.osprey.api.inference.GenerationListener;
import dev.osprey.api.inference.TokenChunk;

/**
 * The events of several generations (the choices of one HTTP request) in one queue, in the order the
 * backend produced them, so the request thread can write them without touching backend threads.
 */
final class GenerationEvents {

    /** Something that happened to choice {@code index}. */
    sealed interface Event permits Started, Chunk, Completed, Failed {
        int index();
    }

    record Started(int index, int promptTokens) implements Event {}

    record Chunk(int index, TokenChunk chunk) implements Event {}

    record Completed(int index, String finishReason, int promptTokens, int completionTokens) implements Event {}

    record Failed(int index, Throwable error) implements Event {}

    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    /** The listener of choice {@code index}, timed by {@code timer}. */
    GenerationListener listener(int index, ServingMetrics.Timer timer) {
        return new GenerationListener() {
            @Override
            public void started(int promptTokens) {
                queue.add(new Started(index, promptTokens));
            }

            @Override
            public void chunk(TokenChunk chunk) {
                timer.chunk(chunk.tokenIds().size());
                queue.add(new Chunk(index, chunk));
            }

            @Override
            public void completed(String finishReason, int promptTokens, int completionTokens) {
                timer.finished(finishReason, promptTokens, completionTokens);
                queue.add(new Completed(index, finishReason, promptTokens, completionTokens));
            }

            @Override
            public void failed(Throwable error) {
                queue.add(new Failed(index, error));
            }
        };
    }

    /** Adds a failure the request thread found itself (the backend refused the request at submission). */
    void fail(int index, Throwable error) {
        queue.add(new Failed(index, error));
    }

    /** The next event, waiting at most {@code millis}; null on timeout. */
    Event next(long millis) throws InterruptedException {
        return queue.poll(millis, TimeUnit.MILLISECONDS);
    }
}
