package dev.osprey.openai.impl;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The tokens that the requests in flight may still make the backend hold (prompt + max_tokens per
 * sequence, counted when a request is admitted and given back when it ends), against
 * {@code max_queued_tokens}: a request that alone needs more is refused (400), one that would push the
 * total past it waits for nobody and is answered 429, as OpenAI and vLLM do when they are busy.
 */
final class TokenBudget {

    private final AtomicLong reserved = new AtomicLong();

    /** A request's share of the budget; closing it gives the share back. */
    final class Reservation implements AutoCloseable {
        private final long tokens;
        private boolean closed;

        private Reservation(long tokens) {
            this.tokens = tokens;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                reserved.addAndGet(-tokens);
            }
        }
    }

    /**
     * Takes {@code tokens} of the budget {@code max}.
     *
     * @throws ApiException 400 when {@code tokens > max}, 429 when the requests in flight leave too little
     */
    Reservation reserve(long tokens, long max) {
        if (tokens > max) {
            throw ApiException.badRequest(
                    "the request may need " + tokens + " tokens (prompt + max_tokens of every sequence)"
                            + " but this server queues at most " + max
                            + " (setting max_queued_tokens); lower max_tokens, n or the"
                            + " number of prompts",
                    "max_tokens");
        }
        while (true) {
            long now = reserved.get();
            if (now + tokens > max) {
                throw ApiException.busy("the server is busy: requests in flight hold " + now + " of its " + max
                        + " queued tokens (setting max_queued_tokens) and this one needs " + tokens + "; retry later");
            }
            if (reserved.compareAndSet(now, now + tokens)) {
                return new Reservation(tokens);
            }
        }
    }

    /** Tokens held by the requests in flight now. */
    long reserved() {
        return reserved.get();
    }
}
