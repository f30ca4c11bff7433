package dev.osprey.model;

import ai.djl.ndarray.NDArray;

/** How far an array is from a reference, relative to the reference's size: what quantization tests bound. */
public final class RelativeError {

    private RelativeError() {}

    /** ‖a − b‖ / ‖b‖ over all elements. */
    public static float of(NDArray a, NDArray b) {
        return a.sub(b).norm().getFloat() / b.norm().getFloat();
    }
}
