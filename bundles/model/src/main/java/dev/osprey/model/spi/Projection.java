package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.NDArray;

/**
 * A linear layer {@code y = x·Wᵀ + b} whose weight (out, in) and bias (out) are parameters named
 * {@code MODULE.weight} and {@code MODULE.bias}. A projection made by {@link Parameters#linear} is a LoRA
 * target by its last name part ({@code q_proj}), may be quantized for QLoRA, and splits its product across
 * cores in inference passes.
 */
@ProviderType
public interface Projection {

    /**
     * @param x (..., in)
     * @param adapter the LoRA adapter to apply (the context's {@link AttentionContext#adapter()}), or null
     * @return (..., out)
     */
    NDArray forward(NDArray x, String adapter);

    /** The module name, e.g. {@code model.layers.0.self_attn.q_proj}. */
    String name();

    long inFeatures();

    long outFeatures();
}
