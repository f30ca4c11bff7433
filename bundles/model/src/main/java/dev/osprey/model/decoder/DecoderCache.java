package dev.osprey.model.decoder;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.KvCache;

/**
 * Keys and values per layer, each (B, kvHeads, length, headDim), written in place into buffers with
 * room to spare (grown by half when full), so a decode step copies only its own new position rather
 * than the whole history (at 8 sequences of 800 tokens on a 110M model, concatenating cost ~6x the
 * step's matrix products). Owned by one decoding loop.
 *
 * <p>A continuous-batching scheduler regroups rows between steps with {@link #stack} (sequences joining,
 * left-padded to a common length) and {@link #selectRows} (sequences leaving); the padded positions must
 * be masked out by the caller's attention mask.
 */
public final class DecoderCache implements KvCache {

    /** Spare positions a buffer gets at least when it is made or grown. */
    private static final int MIN_HEADROOM = 64;

    /** Per layer (B, kvHeads, capacity, headDim); positions from {@link #length} on are unused. */
    private final NDArray[] keys;

    private final NDArray[] values;
    private final int batchSize;
    private int length;
    /** Per row, how far text positions are shifted (M-RoPE's rope_deltas), or null for none. */
    private long[] positionShift;

    DecoderCache(int layers, int batchSize) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batchSize = batchSize;
    }

    /** The number of sequences (rows). */
    public int batchSize() {
        return batchSize;
    }

    @Override
    public int length() {
        return length;
    }

    /** Per row, how far the model shifts the text positions of passes over this cache, or null for none. */
    public long[] positionShift() {
        return positionShift == null ? null : positionShift.clone();
    }

    /** Adds {@code by} (one value per row) to the shift of later passes' positions. */
    void shiftPositions(long[] by) {
        if (by.length != batchSize) {
            throw new IllegalArgumentException(
                    "a position shift needs one value per row (" + batchSize + "), had " + by.length);
        }
        if (positionShift == null) {
            positionShift = new long[batchSize];
        }
        for (int i = 0; i < batchSize; i++) {
            positionShift[i] += by[i];
        }
    }

    /** The layers this cache has room for. */
    public int layers() {
        return keys.length;
    }

    /**
     * Writes this step's keys and values of one layer after the cached ones and returns views of the
     * whole history of that layer, (B, kvHeads, length + T, headDim).
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int needed = length + Math.toIntExact(k.getShape().get(2));
        if (keys[layer] == null || capacity(layer) < needed) {
            keys[layer] = grown(keys[layer], k, needed);
            values[layer] = grown(values[layer], v, needed);
        }
        NDIndex written = new NDIndex(":, :, {}:{}", length, needed);
        keys[layer].set(written, k);
        values[layer].set(written, v);
        NDIndex filled = new NDIndex(":, :, :{}", needed);
        return new NDArray[] {keys[layer].get(filled), values[layer].get(filled)};
    }

    private int capacity(int layer) {
        return Math.toIntExact(keys[layer].getShape().get(2));
    }

    private static int capacityFor(int needed) {
        return needed + Math.max(MIN_HEADROOM, needed / 2);
    }

    /** A bigger buffer holding the cached positions of {@code old} (closed), shaped like {@code like} otherwise. */
    private NDArray grown(NDArray old, NDArray like, int needed) {
        Shape s = like.getShape();
        NDArray buffer = like.getManager()
                .zeros(
                        new Shape(s.get(0), s.get(1), capacityFor(needed), s.get(3)),
                        like.getDataType()); // (B, kvHeads, capacity, D)
        if (old != null) {
            if (length > 0) {
                NDIndex cached = new NDIndex(":, :, :{}", length);
                try (NDArray part = old.get(cached)) {
                    buffer.set(cached, part);
                }
            }
            old.close();
        }
        return buffer;
    }

    void advance(int tokens) {
        length += tokens;
    }

    /** The buffer of one layer's keys (positions beyond {@link #length()} unused). */
    NDArray key(int layer) {
        return keys[layer];
    }

    NDArray value(int layer) {
        return values[layer];
    }

    /**
     * A new cache holding the rows of {@code parts} in order, each left-padded with zeros to the longest
     * length (the caller masks the padding). The parts are left as they are (the caller closes them).
     *
     * @throws IllegalArgumentException when the parts differ in layers or one is empty
     */
    public static DecoderCache stack(List<DecoderCache> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to stack");
        }
        int layers = parts.get(0).layers();
        int length = 0;
        int rows = 0;
        for (DecoderCache c : parts) {
            if (c.layers() != layers || c.length() == 0 || c.keys[0] == null) {
                throw new IllegalArgumentException("caches to stack must be filled and have " + layers + " layers");
            }
            length = Math.max(length, c.length());
            rows += c.batchSize();
        }
        DecoderCache stacked = new DecoderCache(layers, rows);
        for (int layer = 0; layer < layers; layer++) {
            stacked.keys[layer] = stackLayer(parts, layer, rows, length, true);
            stacked.values[layer] = stackLayer(parts, layer, rows, length, false);
        }
        stacked.length = length;
        if (parts.stream().anyMatch(c -> c.positionShift != null)) {
            long[] shift = new long[rows];
            int row = 0;
            for (DecoderCache c : parts) {
                if (c.positionShift != null) {
                    System.arraycopy(c.positionShift, 0, shift, row, c.batchSize());
                }
                row += c.batchSize();
            }
            stacked.positionShift = shift;
        }
        return stacked;
    }

    /** One layer's buffer for the stacked rows: each part's positions right-aligned at {@code length}. */
    private static NDArray stackLayer(List<DecoderCache> parts, int layer, int rows, int length, boolean key) {
        NDArray first = key ? parts.get(0).keys[layer] : parts.get(0).values[layer];
        Shape s = first.getShape();
        NDArray buffer = first.getManager()
                .zeros(
                        new Shape(rows, s.get(1), capacityFor(length), s.get(3)),
                        first.getDataType()); // (rows, kvHeads, capacity, D)
        int row = 0;
        for (DecoderCache c : parts) {
            NDArray source = key ? c.keys[layer] : c.values[layer]; // (b, kvHeads, capacity_c, D)
            try (NDArray filled = source.get(new NDIndex(":, :, :{}", c.length()))) { // (b, kvHeads, length_c, D)
                buffer.set(
                        new NDIndex("{}:{}, :, {}:{}", row, row + c.batchSize(), length - c.length(), length), filled);
            }
            row += c.batchSize();
        }
        NDScope.unregister(buffer); // outlives any scope the caller runs in
        return buffer;
    }

    /**
     * A new cache with only {@code rows} (in that order) and without the first {@code dropFront}
     * positions (padding no kept row needs any more). This cache is left as it is.
     */
    public DecoderCache selectRows(long[] rows, int dropFront) {
        if (dropFront < 0 || dropFront >= length) {
            throw new IllegalArgumentException("dropFront must be in [0, " + length + "), was " + dropFront);
        }
        int kept = length - dropFront;
        DecoderCache selected = new DecoderCache(keys.length, rows.length);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray index = keys[0].getManager().create(rows); // (R)
            for (int layer = 0; layer < keys.length; layer++) {
                selected.keys[layer] = selectLayer(keys[layer], index, dropFront, kept);
                selected.values[layer] = selectLayer(values[layer], index, dropFront, kept);
                NDScope.unregister(selected.keys[layer], selected.values[layer]);
            }
        }
        selected.length = kept;
        if (positionShift != null) {
            selected.positionShift = new long[rows.length];
            for (int i = 0; i < rows.length; i++) {
                selected.positionShift[i] = positionShift[Math.toIntExact(rows[i])];
            }
        }
        return selected;
    }

    private static NDArray selectLayer(NDArray buffer, NDArray rows, int from, int kept) {
        Shape s = buffer.getShape();
        NDArray out = buffer.getManager()
                .zeros(
                        new Shape(rows.size(), s.get(1), capacityFor(kept), s.get(3)),
                        buffer.getDataType()); // (R, kvHeads, capacity, D)
        out.set(
                new NDIndex(":, :, :{}", kept),
                buffer.get(new NDIndex("{}, :, {}:{}", rows, from, from + kept))); // (R, kvHeads, kept, D)
        return out;
    }

    @Override
    public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
        length = 0;
    }
}
