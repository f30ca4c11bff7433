package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;

/** The feed-forward block of one decoder layer: an MLP or a mixture of experts. */
@ConsumerType
@FunctionalInterface
public interface FeedForward {

    /**
     * @param x (B, T, H) the normed hidden states
     * @param adapter the LoRA adapter of this pass, or null
     * @return (B, T, H)
     */
    NDArray forward(NDArray x, String adapter);
}
