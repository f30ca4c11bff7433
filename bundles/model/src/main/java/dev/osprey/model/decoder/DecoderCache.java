package dev.osprey.model.decoder;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.KvCache;

/**
 * Keys and values per layer (of the layers that attend over positions), each (B, kvHeads, length, headDim),
 * written in place into buffers with room to spare (grown by half when full), so a decode step copies only its
 * own new position rather than the whole history (at 8 sequences of 800 tokens on a 110M model, concatenating
 * cost ~6x the step's matrix products). Owned by one decoding loop.
 *
 * <p>A layer may keep a recurrent state instead of (or beside) keys and values: the conv window and the
 * (heads, dk, dv) state of a linear-attention layer (Qwen3-Next's gated DeltaNet), a state-space layer's
 * (Mamba) conv and SSM states. Such a state is a fixed-size summary of every cached position, one array per
 * part, each with the rows first (B, ...); the layer replaces it every pass
 * ({@code AttentionContext.keepRecurrentState}), and regrouping rows stacks or selects it along that first axis.
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
    /** Per layer the recurrent state its block keeps (each part (B, ...)), or null for a layer that keeps none. */
    private final NDArray[][] states;

    private final int batchSize;
    private int length;
    /** Per row, how far text positions are shifted (M-RoPE's rope_deltas), or null for none. */
    private long[] positionShift;

    DecoderCache(int layers, int batchSize) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.states = new NDArray[layers][];
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
        NDScope.unregister(buffer); // outlives the layer's scope that grew it
        return buffer;
    }

    /** The recurrent state layer {@code layer} kept after the last pass, or null when it has kept none. */
    NDArray[] state(int layer) {
        return states[layer];
    }

    /**
     * Replaces the recurrent state of one layer (the old arrays are closed unless kept), each part (B, ...).
     *
     * @throws IllegalArgumentException when a part's first axis is not this cache's rows
     */
    void keepState(int layer, NDArray[] state) {
        for (NDArray part : state) {
            if (part.getShape().dimension() == 0 || part.getShape().get(0) != batchSize) {
                throw new IllegalArgumentException("a recurrent state part must have the " + batchSize
                        + " rows first, was " + part.getShape() + " in layer " + layer);
            }
        }
        NDArray[] old = states[layer];
        states[layer] = state.clone();
        NDScope.unregister(state); // outlives the layer's scope that made it
        if (old != null) {
            for (NDArray part : old) {
                if (Arrays.stream(state).noneMatch(p -> p == part)) {
                    part.close();
                }
            }
        }
    }

    /** Takes this cache's arrays out of the {@link NDScope} of the pass that made them: they outlive it. */
    void keepBeyondScope() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                NDScope.unregister(keys[i], values[i]);
            }
            if (states[i] != null) {
                NDScope.unregister(states[i]);
            }
        }
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
            if (c.layers() != layers || c.length() == 0) {
                throw new IllegalArgumentException("caches to stack must be filled and have " + layers + " layers");
            }
            length = Math.max(length, c.length());
            rows += c.batchSize();
        }
        DecoderCache stacked = new DecoderCache(layers, rows);
        for (int layer = 0; layer < layers; layer++) {
            if (parts.get(0).keys[layer] != null) {
                stacked.keys[layer] = stackLayer(parts, layer, rows, length, true);
                stacked.values[layer] = stackLayer(parts, layer, rows, length, false);
            }
            if (parts.get(0).states[layer] != null) {
                stacked.states[layer] = stackState(parts, layer);
            }
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

    /** One layer's recurrent state for the stacked rows: each part's rows in order (a state holds no positions). */
    private static NDArray[] stackState(List<DecoderCache> parts, int layer) {
        NDArray[] first = parts.get(0).states[layer];
        NDArray[] stacked = new NDArray[first.length];
        for (int i = 0; i < first.length; i++) {
            NDList rows = new NDList();
            for (DecoderCache c : parts) {
                if (c.states[layer] == null) {
                    throw new IllegalArgumentException("caches to stack must all keep layer " + layer + "'s state");
                }
                rows.add(c.states[layer][i]); // (b, ...)
            }
            stacked[i] = NDArrays.concat(rows, 0); // (rows, ...)
            NDScope.unregister(stacked[i]); // outlives any scope the caller runs in
        }
        return stacked;
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
            NDArray index = anyArray().getManager().create(rows); // (R)
            for (int layer = 0; layer < keys.length; layer++) {
                if (keys[layer] != null) {
                    selected.keys[layer] = selectLayer(keys[layer], index, dropFront, kept);
                    selected.values[layer] = selectLayer(values[layer], index, dropFront, kept);
                    NDScope.unregister(selected.keys[layer], selected.values[layer]);
                }
                if (states[layer] != null) {
                    NDArray[] state = new NDArray[states[layer].length];
                    for (int i = 0; i < state.length; i++) {
                        state[i] = states[layer][i].get(new NDIndex("{}", index)); // (R, ...)
                        NDScope.unregister(state[i]);
                    }
                    selected.states[layer] = state;
                }
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

    /** Some array of this cache, for its manager. */
    private NDArray anyArray() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                return keys[i];
            }
            if (states[i] != null) {
                return states[i][0];
            }
        }
        throw new IllegalStateException("the cache holds nothing yet");
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
            if (states[i] != null) {
                for (NDArray part : states[i]) {
                    part.close();
                }
                states[i] = null;
            }
        }
        length = 0;
    }
}
