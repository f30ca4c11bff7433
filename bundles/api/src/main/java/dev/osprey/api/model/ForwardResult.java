package dev.osprey.api.model;

import java.util.Optional;

import ai.djl.ndarray.NDArray;

/**
 * The output of one forward pass.
 *
 * @param logits (B, T, V), or (B, 1, V) when only the last position was asked for
 * @param cache the cache extended by this pass, or null when none was used
 */
public record ForwardResult(NDArray logits, KvCache cache) {

    public Optional<KvCache> optCache() {
        return Optional.ofNullable(cache);
    }
}
