package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** Makes the attention block of each layer: the built-in one ({@link Blocks#attention}) or a family's own. */
@ConsumerType
@FunctionalInterface
public interface AttentionFactory {

    /**
     * @param parameters where the block declares its projections and weights
     * @param module its module name, e.g. {@code model.layers.0.self_attn}
     * @param layer the layer index (0-based)
     * @param hiddenSize the model width H
     */
    Attention create(Parameters parameters, String module, int layer, int hiddenSize);
}
