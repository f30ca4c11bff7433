package dev.osprey.backend.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderCache;
import dev.osprey.model.decoder.DecoderModel;

/**
 * The running sequences that use one adapter (or none), decoded together: one forward pass per step
 * for all rows, so each layer's weights are read once per step rather than once per sequence. The rows
 * share one {@link DecoderCache}, left-padded to the longest row; since every row gains one token per
 * step, row i's real positions are always the last {@code length(i)} of the cache, and the attention
 * mask follows from the lengths alone.
 */
final class DecodeBatch implements AutoCloseable {

    private final DecoderModel model;
    private final NDManager manager;
    final String adapter;
    private final List<Sequence> rows = new ArrayList<>();
    private DecoderCache cache;

    DecodeBatch(DecoderModel model, NDManager manager, String adapter) {
        this.model = model;
        this.manager = manager;
        this.adapter = adapter;
    }

    List<Sequence> rows() {
        return rows;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Positions the shared cache holds per row, padding included. */
    int paddedLength() {
        return cache == null ? 0 : cache.length();
    }

    /**
     * Adds prefilled sequences with their own caches (which this batch takes over and closes): the
     * caches are stacked under the running rows' one, left-padded to a common length.
     */
    void join(List<Sequence> sequences, List<DecoderCache> caches) {
        List<DecoderCache> parts = new ArrayList<>();
        if (cache != null) {
            parts.add(cache);
        }
        parts.addAll(caches);
        DecoderCache stacked = DecoderCache.stack(parts);
        parts.forEach(DecoderCache::close);
        cache = stacked;
        rows.addAll(sequences);
    }

    /**
     * One decode step for every row: feeds each row's last token.
     *
     * @return the next-token logits, (B, V) float32; the caller closes them
     */
    NDArray step() {
        int b = rows.size();
        long[] last = new long[b];
        long[] starts = new long[b];
        int total = cache.length() + 1; // cached positions and this step's
        for (int i = 0; i < b; i++) {
            last[i] = rows.get(i).lastToken();
            // the row's real tokens: the ones in the cache (its length - 1, the last is fed now) and this one
            starts[i] = total - rows.get(i).length();
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(last, new Shape(b, 1)); // (B, 1)
            NDArray columns =
                    manager.arange(0, total).toType(DataType.INT64, false).reshape(1, total); // (1, S + 1)
            NDArray mask =
                    columns.gte(manager.create(starts, new Shape(b, 1))).toType(DataType.INT64, false); // (B, S + 1)
            NDArray logits = model.forward(ForwardRequest.builder(input)
                            .optAttentionMask(mask)
                            .optCache(cache)
                            .optLastPositionOnly(true)
                            .optAdapter(adapter)
                            .build())
                    .logits(); // (B, 1, V)
            NDArray out = logits.reshape(b, logits.getShape().get(2)); // (B, V)
            NDScope.unregister(out);
            logits.close(); // the forward pass handed it over outside any scope; the reshaped view keeps the data
            return out;
        }
    }

    /**
     * Keeps only the rows that satisfy {@code keep}, in order, and drops the cache columns that no kept
     * row needs any more.
     */
    void retain(Predicate<Sequence> keep) {
        List<Sequence> kept = new ArrayList<>();
        List<Long> indices = new ArrayList<>();
        int longest = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (keep.test(rows.get(i))) {
                kept.add(rows.get(i));
                indices.add((long) i);
                longest = Math.max(longest, rows.get(i).length() - 1); // the last token is not cached yet
            }
        }
        if (kept.size() == rows.size()) {
            return;
        }
        rows.clear();
        rows.addAll(kept);
        if (kept.isEmpty()) {
            close();
            return;
        }
        DecoderCache old = cache;
        cache = old.selectRows(indices.stream().mapToLong(Long::longValue).toArray(), old.length() - longest);
        old.close();
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
