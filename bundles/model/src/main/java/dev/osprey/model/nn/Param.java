package dev.osprey.model.nn;

import java.util.Objects;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.spi.Weight;

/**
 * One named parameter: the checkpoint key it is loaded from and saved to, its expected shape, and the
 * live array. Layers hold the {@code Param}, never the array, so that loading or merging replaces the
 * array under every layer at once. A parameter's initial (random or constant) values are made only when
 * first read: a model loaded from a checkpoint never allocates them, so loading needs no more memory
 * than the weights themselves (and a quantized model not even those, layer by layer).
 */
public final class Param implements Weight {

    private final String name;
    private final Shape shape;
    private NDArray value;
    private Supplier<NDArray> initializer;

    Param(String name, Shape shape, NDArray value) {
        this.name = Objects.requireNonNull(name);
        this.shape = Objects.requireNonNull(shape);
        this.value = value;
    }

    /** A parameter whose initial values are made by {@code initializer} when first read. */
    Param(String name, Shape shape, Supplier<NDArray> initializer) {
        this(name, shape, (NDArray) null);
        this.initializer = Objects.requireNonNull(initializer);
    }

    /** Whether the array exists (read, loaded or set), as opposed to still waiting for its first read. */
    public boolean isMaterialized() {
        return value != null;
    }

    /** The checkpoint key, e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
    @Override
    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    /** The live array, made from its initial values on first read; null once a quantized layer has released it. */
    @Override
    public NDArray get() {
        if (value == null && initializer != null) {
            value = initializer.get();
            initializer = null;
            // made during some pass: it belongs to the model, not to that pass's scope
            NDScope.unregister(value);
        }
        return value;
    }

    /** Closes the array and forgets it (the layer now holds the weight in another form, e.g. quantized). */
    void release() {
        initializer = null;
        if (value != null) {
            value.close();
            value = null;
        }
    }

    /**
     * Replaces the array (which must have the declared shape) and closes the previous one.
     *
     * @throws IllegalArgumentException naming the parameter when the shape differs
     */
    public void set(NDArray array) {
        if (!array.getShape().equals(shape)) {
            throw new IllegalArgumentException(
                    "parameter " + name + ": expected shape " + shape + " but got " + array.getShape());
        }
        NDArray old = value;
        initializer = null; // loaded or replaced: the initial values are never needed
        value = array;
        if (old != null && old != array) {
            old.close();
        }
    }
}
