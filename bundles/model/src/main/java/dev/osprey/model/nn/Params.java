package dev.osprey.model.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The parameters of one model, by checkpoint key, in creation order, all in one manager. New
 * parameters start with the values a freshly initialised Hugging Face model has (normal(0, std) for
 * weights, ones for norms, zeros for biases), made when first read (see {@link Param}): each random
 * parameter is drawn by the engine's generator re-seeded from the model's seed and the parameter's
 * index, so a random model is the same whatever order its parameters are first read in.
 */
public final class Params {

    private final NDManager manager;
    private DataType dataType;
    private final double initStd;
    private final long seed;
    private final Map<String, Param> params = new LinkedHashMap<>();

    /**
     * @param manager owns every parameter array
     * @param dataType FLOAT32 or FLOAT16
     * @param seed for the initial values
     * @param initStd the standard deviation of initial weights ({@code initializer_range}, 0.02 in most configs)
     */
    public Params(NDManager manager, DataType dataType, long seed, double initStd) {
        this.manager = manager;
        this.dataType = dataType;
        this.seed = seed;
        this.initStd = initStd;
    }

    public NDManager manager() {
        return manager;
    }

    public DataType dataType() {
        return dataType;
    }

    /** A weight initialised from normal(0, initStd). */
    public Param normal(String name, Shape shape) {
        long index = params.size();
        return add(name, shape, () -> {
            manager.getEngine().setRandomSeed((int) (seed * 1_000_003L + index));
            return manager.randomNormal(0f, (float) initStd, shape, DataType.FLOAT32);
        });
    }

    /** A parameter filled with one value (ones for norms, zeros for biases and LoRA B). */
    public Param constant(String name, Shape shape, float value) {
        return add(name, shape, () -> manager.full(shape, value, DataType.FLOAT32));
    }

    private Param add(String name, Shape shape, Supplier<NDArray> initial) {
        if (params.containsKey(name)) {
            throw new IllegalStateException("parameter " + name + " is declared twice");
        }
        Param p = new Param(name, shape, () -> {
            NDArray array = initial.get();
            if (dataType == DataType.FLOAT32) {
                return array;
            }
            try (array) {
                return array.toType(dataType, false);
            }
        });
        params.put(name, p);
        return p;
    }

    /**
     * Converts every parameter to {@code type} (FLOAT32 or FLOAT16); parameters not yet made will be
     * made in it.
     */
    public void cast(DataType type) {
        if (type != dataType) {
            params.values().stream()
                    .filter(Param::isMaterialized)
                    .forEach(p -> p.set(p.get().toType(type, false)));
            dataType = type;
        }
    }

    /** Frees every array made so far; parameters never read allocate nothing. */
    public void closeAll() {
        params.values().stream()
                .filter(Param::isMaterialized)
                .forEach(p -> p.get().close());
    }

    /**
     * Takes a parameter out of the model's parameters (a linear layer that quantizes its weight keeps the
     * frozen weight in its own storage, so it is neither trained, saved nor loaded by name any more).
     *
     * @return the parameter, or null when there is none by that name
     */
    Param remove(String name) {
        return params.remove(name);
    }

    /** Puts a removed parameter back (at the end), e.g. when a quantized layer is dequantized by a merge. */
    void restore(Param param) {
        if (params.putIfAbsent(param.name(), param) != null) {
            throw new IllegalStateException("parameter " + param.name() + " is already present");
        }
    }

    /** The parameter with this checkpoint key, or null. */
    public Param get(String name) {
        return params.get(name);
    }

    /** Every parameter by checkpoint key, in creation order; unmodifiable. */
    public Map<String, Param> all() {
        return Collections.unmodifiableMap(params);
    }

    /** The live arrays by checkpoint key, in creation order. */
    public Map<String, NDArray> arrays() {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        params.forEach((k, v) -> arrays.put(k, v.get()));
        return Collections.unmodifiableMap(arrays);
    }
}
