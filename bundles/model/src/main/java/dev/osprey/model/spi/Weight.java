package dev.osprey.model.spi;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.ndarray.NDArray;

/** A parameter that is not part of a {@link Projection}: a norm's scale, an embedding table. */
@ProviderType
public interface Weight {

    /** The checkpoint key, e.g. {@code model.norm.weight}. */
    String name();

    /** The live array, in the model's data type (loaded, trained and saved by {@link #name()}). */
    NDArray get();
}
