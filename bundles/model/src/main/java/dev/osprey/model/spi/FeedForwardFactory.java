package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** Makes the feed-forward block of each layer ({@link Blocks#gatedMlp}, {@link Blocks#sparseMoe}, or a family's own). */
@ConsumerType
@FunctionalInterface
public interface FeedForwardFactory {

    /**
     * @param parameters where the block declares its projections and weights
     * @param module its module name, e.g. {@code model.layers.0.mlp}
     * @param layer the layer index (0-based), for families whose layers differ (dense layers among experts)
     * @param hiddenSize the model width H
     */
    FeedForward create(Parameters parameters, String module, int layer, int hiddenSize);
}
