package dev.osprey.model.decoder;

import ai.djl.ndarray.NDArray;
import dev.osprey.api.model.KvCache;

/**
 * Keys and values per layer, each (B, kvHeads, length, headDim), grown by concatenation each step.
 * Owned by one decoding loop.
 */
final class DecoderCache implements KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batchSize;
    private int length;

    DecoderCache(int layers, int batchSize) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.batchSize = batchSize;
    }

    int batchSize() {
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
