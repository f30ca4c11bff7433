package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;

/**
 * The attention block of one decoder layer. It reads the positions, the mask and the cache only through
 * its {@link AttentionContext}, so it works in batched, cached, packed and layer-by-layer (gradient
 * checkpointing) passes alike.
 */
@ConsumerType
@FunctionalInterface
public interface Attention {

    /**
     * @param x (B, T, H) the normed hidden states of the new positions
     * @param context this pass's rotary tables, mask, cache and adapter
     * @return (B, T, H)
     */
    NDArray forward(NDArray x, AttentionContext context);
}
