package dev.osprey.model.nn;

import java.util.Objects;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * One named parameter: the checkpoint key it is loaded from and saved to, its expected shape, and the
 * live array. Layers hold the {@code Param}, never the array, so that loading or merging replaces the
 * array under every layer at once.
 */
public final class Param {

    private final String name;
    private final Shape shape;
    private NDArray value;

    Param(String name, Shape shape, NDArray value) {
        this.name = Objects.requireNonNull(name);
        this.shape = Objects.requireNonNull(shape);
        this.value = value;
    }

    /** The checkpoint key, e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
    public String name() {
        return name;
    }

    public Shape shape() {
        return shape;
    }

    /** The live array; null once a quantized layer has released it. */
    public NDArray get() {
        return value;
    }

    /** Closes the array and forgets it (the layer now holds the weight in another form, e.g. quantized). */
    void release() {
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
            throw new IllegalArgumentException("parameter " + name + ": expected shape " + shape + " but got "
                    + array.getShape());
        }
        NDArray old = value;
        value = array;
        if (old != null && old != array) {
            old.close();
        }
    }
}
