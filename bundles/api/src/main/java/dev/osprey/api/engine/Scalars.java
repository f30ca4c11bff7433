package dev.osprey.api.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic between an array and a Java number that stays correct under autograd. Use it instead of
 * DJL's {@code NDArray.mul(Number)}, {@code div}, {@code add}, {@code sub}, {@code pow}, {@code maximum},
 * {@code minimum}, {@code clip} and their in-place forms, everywhere a model or a loss may be trained.
 *
 * <p>Why: DJL 0.36 turns the number into a 0-dimensional array over a direct {@code ByteBuffer} that
 * PyTorch reads in place ({@code torch::from_blob}, no copy), runs the operation, and closes that array
 * at once. Autograd, however, keeps the operand for the backward pass ({@code MulBackward} saves
 * {@code other}, {@code DivBackward} the divisor, {@code PowBackward} the exponent, {@code clamp} its
 * bounds). Once closed, nothing on the Java side holds the buffer, and the next garbage collection frees
 * it: the backward pass then multiplies by whatever the allocator wrote there, and the gradients of every
 * layer below that operation come out NaN or silently wrong. How often depends on when the collector
 * runs, which is why it showed up at random steps, more often under load. The numbers here are made in
 * memory that PyTorch owns (reference-counted, freed only when autograd lets go), of the same data type
 * DJL gives them, so the results are bit for bit those of DJL's own methods, only safe.
 *
 * <p>Comparisons ({@code eq}, {@code gt}, ...) and {@code set(NDIndex, Number)} are safe as DJL has them:
 * nothing keeps their operand. Osprey's build checks its own bytecode for the unsafe calls.
 */
public final class Scalars {

    /** Integers up to this magnitude are exact in a float, so {@link NDManager#full} makes them in one call. */
    private static final int EXACT_FLOAT_INT = 1 << 24;

    private Scalars() {}

    /**
     * {@code value} as a 0-dimensional array in PyTorch-owned memory, on {@code like}'s manager and device,
     * of the type DJL gives a number: INT32 for an Integer, INT64 for a Long, FLOAT32 for a Float, FLOAT64
     * for a Double (others by their double value). The caller closes it (autograd keeps its own reference).
     */
    public static NDArray of(NDArray like, Number value) {
        NDManager manager = like.getManager();
        Shape scalar = new Shape();
        if (value instanceof Float) {
            return manager.full(scalar, value.floatValue(), DataType.FLOAT32);
        }
        if (value instanceof Integer && Math.abs(value.intValue()) <= EXACT_FLOAT_INT) {
            return manager.full(scalar, value.intValue(), DataType.INT32);
        }
        try (NDArray inPlace = value instanceof Integer || value instanceof Long
                ? manager.create(value)
                : manager.create(value.doubleValue())) {
            return inPlace.duplicate(); // a copy PyTorch owns; the Java buffer goes with the original
        }
    }

    /** {@code x + value}. */
    public static NDArray add(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.add(v);
        }
    }

    /** {@code x - value}. */
    public static NDArray sub(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.sub(v);
        }
    }

    /** {@code x · value}. */
    public static NDArray mul(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.mul(v);
        }
    }

    /** {@code x / value}. */
    public static NDArray div(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.div(v);
        }
    }

    /** {@code x ^ exponent}. */
    public static NDArray pow(NDArray x, Number exponent) {
        try (NDArray v = of(x, exponent)) {
            return x.pow(v);
        }
    }

    /** Element-wise {@code max(x, value)}. */
    public static NDArray maximum(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.maximum(v);
        }
    }

    /** Element-wise {@code min(x, value)}. */
    public static NDArray minimum(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.minimum(v);
        }
    }

    /** {@code x} clamped to {@code [min, max]}. */
    public static NDArray clip(NDArray x, Number min, Number max) {
        try (NDArray lo = of(x, min);
                NDArray hi = of(x, max)) {
            return x.maximum(lo).minimum(hi);
        }
    }

    /** {@code x *= value} in place; returns {@code x}. */
    public static NDArray muli(NDArray x, Number value) {
        try (NDArray v = of(x, value)) {
            return x.muli(v);
        }
    }
}
