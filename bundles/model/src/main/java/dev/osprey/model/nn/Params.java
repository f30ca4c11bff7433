package dev.osprey.model.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The parameters of one model, by checkpoint key, in creation order, all in one manager. New
 * parameters start with the values a freshly initialised Hugging Face model has (normal(0, std) for
 * weights, ones for norms, zeros for biases) from a seeded generator, so random models are repeatable.
 */
public final class Params {

    private final NDManager manager;
    private DataType dataType;
    private final Random random;
    private final double initStd;
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
        this.random = new Random(seed);
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
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * initStd);
        }
        return add(name, shape, values);
    }

    /** A parameter filled with one value (ones for norms, zeros for biases and LoRA B). */
    public Param constant(String name, Shape shape, float value) {
        float[] values = new float[Math.toIntExact(shape.size())];
        java.util.Arrays.fill(values, value);
        return add(name, shape, values);
    }

    private Param add(String name, Shape shape, float[] values) {
        if (params.containsKey(name)) {
            throw new IllegalStateException("parameter " + name + " is declared twice");
        }
        NDArray array = manager.create(values, shape).toType(dataType, false);
        Param p = new Param(name, shape, array);
        params.put(name, p);
        return p;
    }

    /** Converts every parameter to {@code type} (FLOAT32 or FLOAT16); later parameters are created in it too. */
    public void cast(DataType type) {
        if (type != dataType) {
            params.values().forEach(p -> p.set(p.get().toType(type, false)));
            dataType = type;
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
