package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDArray;

/** A normalisation over the last axis (RMSNorm, LayerNorm, ...). */
@ConsumerType
@FunctionalInterface
public interface Norm {

    /** @param x (..., size) @return (..., size), in x's data type */
    NDArray forward(NDArray x);
}
