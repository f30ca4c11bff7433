package dev.osprey.model.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Index arrays in memory PyTorch owns. DJL's {@code manager.create(long[])} makes a tensor over a direct Java buffer
 * ({@code torch::from_blob}); a gather or an indexed read keeps that tensor for its backward pass, and when a layer's
 * scope closes the array before the backward pass (the decoder frees each layer's intermediates), the garbage
 * collector frees the buffer under it: the backward pass read garbage indices ("index 139912043044080 is out of
 * bounds for dimension 0 with size 32" in a MoE training step, now and then). The copy lives as long as autograd
 * needs it.
 */
final class OwnedIndex {

    private OwnedIndex() {}

    static NDArray of(NDManager m, long[] values, Shape shape) {
        try (NDArray inPlace = m.create(values, shape)) {
            return inPlace.duplicate();
        }
    }

    static NDArray of(NDManager m, long[] values) {
        return of(m, values, new Shape(values.length));
    }
}
