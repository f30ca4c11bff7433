package dev.osprey.backend.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.KvCache;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.model.decoder.DecoderCache;
import dev.osprey.model.decoder.DecoderModel;

/**
 * The running sequences that use one adapter (or none), decoded together. For a {@link DecoderModel}: one
 * forward pass per step for all rows, so each layer's weights are read once per step rather than once per
 * sequence. The rows share one {@link DecoderCache}, left-padded to the longest row; since every row gains
 * one token per step, row i's real positions are always the last {@code length(i)} of the cache, and the
 * attention mask follows from the lengths alone.
 *
 * <p>Any other {@link LanguageModel}: its cache is opaque (the API offers no way to stack or cut one), so
 * each row keeps the cache {@link LanguageModel#newCache newCache(1)} made for it and a step runs one
 * batch-1 pass per row.
 */
final class DecodeBatch implements AutoCloseable {

    private final LanguageModel model;
    private final NDManager manager;
    final String adapter;
    private final List<Sequence> rows = new ArrayList<>();
    /** A decoder's rows share one cache. */
    private DecoderCache cache;
    /** Any other model's rows each have their own, in row order. */
    private final List<KvCache> rowCaches = new ArrayList<>();

    DecodeBatch(LanguageModel model, NDManager manager, String adapter) {
        this.model = model;
        this.manager = manager;
        this.adapter = adapter;
    }

    /** Whether the rows run as one batch: only a decoder's cache can be stacked and cut by row. */
    static boolean batches(LanguageModel model) {
        return model instanceof DecoderModel;
    }

    List<Sequence> rows() {
        return rows;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    /**
     * Adds prefilled sequences with their caches (which this batch takes over and closes): a decoder's are
     * stacked under the running rows' one, left-padded to a common length; any other model's are one per
     * sequence, in order.
     */
    void join(List<Sequence> sequences, List<KvCache> caches) {
        if (!batches(model)) {
            rowCaches.addAll(caches);
            rows.addAll(sequences);
            return;
        }
        List<DecoderCache> parts = new ArrayList<>();
        if (cache != null) {
            parts.add(cache);
        }
        caches.forEach(c -> parts.add((DecoderCache) c));
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
        if (!batches(model)) {
            return stepEachRow();
        }
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

    /** One batch-1 pass per row, each with its own cache: (B, V) float32 next-token logits. */
    private NDArray stepEachRow() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList next = new NDList();
            for (int i = 0; i < rows.size(); i++) {
                NDArray input = manager.create(new long[] {rows.get(i).lastToken()}, new Shape(1, 1)); // (1, 1)
                NDArray logits = model.forward(ForwardRequest.builder(input)
                                .optCache(rowCaches.get(i))
                                .optLastPositionOnly(true)
                                .optAdapter(adapter)
                                .build())
                        .logits(); // (1, 1, V)
                NDScope.register(logits); // handed over outside any scope: freed with this step's arrays
                next.add(logits.reshape(1, logits.getShape().get(2))); // (1, V)
            }
            NDArray out = NDArrays.concat(next, 0); // (B, V)
            NDScope.unregister(out);
            return out;
        }
    }

    /**
     * Keeps only the rows that satisfy {@code keep}, in order, and drops the cache columns that no kept
     * row needs any more (another model's dropped rows close their caches).
     */
    void retain(Predicate<Sequence> keep) {
        if (!batches(model)) {
            List<Sequence> kept = new ArrayList<>();
            List<KvCache> keptCaches = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                if (keep.test(rows.get(i))) {
                    kept.add(rows.get(i));
                    keptCaches.add(rowCaches.get(i));
                } else {
                    rowCaches.get(i).close();
                }
            }
            rows.clear();
            rows.addAll(kept);
            rowCaches.clear();
            rowCaches.addAll(keptCaches);
            return;
        }
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
        rowCaches.forEach(KvCache::close);
        rowCaches.clear();
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
