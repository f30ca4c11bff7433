package dev.osprey.model.nn;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A frozen (out, in) weight stored in 4 or 8 bits plus scales, dequantized on the fly with NDArray ops. The
 * dequantized array has no gradient of its own, so a matmul with it passes gradients to its input only.
 */
public sealed interface QuantizedWeight extends AutoCloseable permits Nf4Weight, Int4Weight, Int8Weight {

    /**
     * Quantizes {@code weight}; the result's arrays belong to the weight's manager and escape any
     * {@link NDScope}, and the temporaries are freed. The weight itself is left as it is.
     *
     * @param weight (out, in), F32 or F16
     */
    static QuantizedWeight quantize(NDArray weight, QuantSpec spec) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("only (out, in) weights can be quantized, got " + weight.getShape());
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray w = weight.toType(DataType.FLOAT32, false);
            QuantizedWeight q = switch (spec.method()) {
                case NF4 -> Nf4Weight.quantize(w, spec.blockSize());
                case INT4 -> Int4Weight.quantize(w, spec.blockSize());
                case INT8 -> Int8Weight.quantize(w);
            };
            q.storage().forEach(NDScope::unregister);
            return q;
        }
    }

    QuantSpec spec();

    /** The (out, in) shape of the original weight. */
    Shape shape();

    /** The weight rebuilt from codes and scales, (out, in), in {@code type}; a new array without gradient. */
    NDArray dequantize(DataType type);

    /** Every array this weight holds (codes, scales, lookup tables). */
    List<NDArray> storage();

    /** Bytes held by {@link #storage()}, from the arrays' sizes and types. */
    default long storageBytes() {
        return storage().stream()
                .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes())
                .sum();
    }

    @Override
    default void close() {
        storage().forEach(NDArray::close);
    }
}
