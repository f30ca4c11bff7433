package dev.osprey.backend.djl;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.decoder.DecoderCache;

/**
 * A long prompt read a chunk at a time into a batch-1 cache of its own, one chunk per scheduler iteration, so
 * that the running sequences take a decode step between two chunks instead of waiting for the whole prompt
 * (vLLM's chunked prefill). Each chunk attends to the cached chunks before it, so the cache ends as a whole
 * prefill leaves it; the sequence then joins its batch.
 */
final class ChunkedPrefill implements AutoCloseable {

    final Sequence sequence;
    private final LanguageModel model;
    private final NDManager manager;
    private DecoderCache cache;
    private int read;

    ChunkedPrefill(Sequence sequence, LanguageModel model, NDManager manager) {
        this.sequence = sequence;
        this.model = model;
        this.manager = manager;
        this.cache = (DecoderCache) model.newCache(1);
    }

    /** Whether a prompt can be read in chunks: a decoder's text prompt (media are read with their whole prompt). */
    static boolean applies(LanguageModel model, Sequence sequence) {
        return DecodeBatch.batches(model) && sequence.media() == null;
    }

    /** Prompt tokens not read yet. */
    int remaining() {
        return sequence.prompt.length - read;
    }

    /**
     * Reads the next {@code tokens} prompt tokens (at most {@link #remaining()}).
     *
     * @return the next-token logits (1, V) float32 once the prompt's last token is read (the caller closes them),
     *     else null
     */
    NDArray read(int tokens) {
        int from = read;
        int to = Math.min(sequence.prompt.length, from + tokens);
        long[] ids = Arrays.stream(sequence.prompt, from, to).asLongStream().toArray();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray logits = model.forward(ForwardRequest.builder(manager.create(ids, new Shape(1, ids.length)))
                            .optCache(cache)
                            .optLastPositionOnly(true)
                            .optAdapter(sequence.adapter)
                            .build())
                    .logits(); // (1, 1, V)
            read = to;
            if (read < sequence.prompt.length) {
                logits.close(); // the forward pass handed it over outside any scope
                return null;
            }
            NDArray last = logits.reshape(1, logits.getShape().get(2)); // (1, V)
            NDScope.unregister(last);
            logits.close();
            return last;
        }
    }

    /** Hands the filled cache over to the caller, who closes it from then on. */
    DecoderCache takeCache() {
        DecoderCache filled = cache;
        cache = null;
        return filled;
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
