package com.example.osprey.gpt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import dev.osprey.api.model.KvCache;

/**
 * GPT-2's keys and values per layer, (B, heads, S, D) each, grown by concatenation along S. Not thread-safe:
 * one decoding loop owns it.
 */
final class GptCache implements KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final int batchSize;
    private int length;

    GptCache(int layers, int batchSize) {
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

    /**
     * Appends a pass's keys and values of one layer (B, heads, T, D).
     *
     * @return everything cached for the layer, (B, heads, S, D) each
     */
    NDArray[] append(int layer, NDArray key, NDArray value) {
        if (keys[layer] == null) {
            keys[layer] = key;
            values[layer] = value;
        } else {
            NDArray oldKey = keys[layer];
            NDArray oldValue = values[layer];
            keys[layer] = oldKey.concat(key, 2);
            values[layer] = oldValue.concat(value, 2);
            oldKey.close();
            oldValue.close();
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    /** Counts the positions a pass appended to every layer. */
    void advance(int steps) {
        length += steps;
    }

    /** Takes the cached arrays out of the pass's scope: they live until the next append or close. */
    void keep() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                NDScope.unregister(keys[i], values[i]);
            }
        }
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
    }
}
