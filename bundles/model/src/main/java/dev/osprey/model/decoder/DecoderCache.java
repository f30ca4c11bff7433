package dev.osprey.model.decoder;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.osprey.api.model.KvCache;

/**
 * Keys and values per layer, each (B, kvHeads, length, headDim), grown by concatenation each step.
 * Owned by one decoding loop. A continuous-batching scheduler regroups rows between steps with
 * {@link #stack} (sequences joining, left-padded to a common length) and {@link #selectRows}
 * (sequences leaving); the padded positions must be masked out by the caller's attention mask.
 */
public final class DecoderCache implements KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batchSize;
    private int length;

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

    /** Appends this step's keys and values for one layer and returns the whole history of that layer. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        keys[layer] = oldK == null ? k : oldK.concat(k, 2); // (B, kvHeads, length + T, headDim)
        values[layer] = oldV == null ? v : oldV.concat(v, 2);
        if (oldK != null) {
            oldK.close();
            oldV.close();
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    void advance(int tokens) {
        length += tokens;
    }

    NDArray key(int layer) {
        return keys[layer];
    }

    NDArray value(int layer) {
        return values[layer];
    }

    /** The layers this cache has room for. */
    public int layers() {
        return keys.length;
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
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int layer = 0; layer < layers; layer++) {
                stacked.keys[layer] = stackLayer(parts, layer, length, true);
                stacked.values[layer] = stackLayer(parts, layer, length, false);
                NDScope.unregister(stacked.keys[layer], stacked.values[layer]);
            }
        }
        stacked.length = length;
        return stacked;
    }

    private static NDArray stackLayer(List<DecoderCache> parts, int layer, int length, boolean key) {
        NDArray[] padded = new NDArray[parts.size()];
        for (int i = 0; i < padded.length; i++) {
            DecoderCache c = parts.get(i);
            NDArray a = key ? c.keys[layer] : c.values[layer]; // (b, kvHeads, len, D)
            int pad = length - c.length();
            if (pad > 0) {
                Shape s = a.getShape();
                NDArray zeros = a.getManager().zeros(new Shape(s.get(0), s.get(1), pad, s.get(3)), a.getDataType()); // (b, kvHeads, pad, D)
                a = zeros.concat(a, 2); // (b, kvHeads, length, D)
            }
            padded[i] = a;
        }
        if (padded.length == 1) {
            return padded[0] == (key ? parts.get(0).keys[layer] : parts.get(0).values[layer]) ? padded[0].duplicate() : padded[0];
        }
        return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(padded), 0); // (rows, kvHeads, length, D)
    }

    /**
     * A new cache with only {@code rows} (in that order) and without the first {@code dropFront}
     * positions (padding no kept row needs any more). This cache is left as it is.
     */
    public DecoderCache selectRows(long[] rows, int dropFront) {
        if (dropFront < 0 || dropFront >= length) {
            throw new IllegalArgumentException("dropFront must be in [0, " + length + "), was " + dropFront);
        }
        DecoderCache kept = new DecoderCache(keys.length, rows.length);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray index = keys[0].getManager().create(rows); // (R)
            for (int layer = 0; layer < keys.length; layer++) {
                // indexing by an array of rows copies, so the result owns its memory and this cache can be closed
                kept.keys[layer] = keys[layer].get(new NDIndex("{}, :, {}:", index, dropFront)); // (R, kvHeads, length - drop, D)
                kept.values[layer] = values[layer].get(new NDIndex("{}, :, {}:", index, dropFront));
                NDScope.unregister(kept.keys[layer], kept.values[layer]);
            }
        }
        kept.length = length - dropFront;
        return kept;
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
