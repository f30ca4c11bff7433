package dev.osprey.model.blocks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Params;
import dev.osprey.model.spi.ParameterStore;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/** The SPI's {@link ParameterStore} over a model's {@link Params}, keeping the linear layers LoRA may adapt. */
public final class ModuleParameters implements ParameterStore {

    private final Params params;
    private final List<Linear> adaptable = new ArrayList<>();

    public ModuleParameters(Params params) {
        this.params = params;
    }

    @Override
    public Projection linear(String module, long in, long out, boolean bias) {
        Linear linear = new Linear(params, module, in, out, bias);
        adaptable.add(linear);
        return linear;
    }

    @Override
    public Projection conv1d(String module, long in, long out, boolean bias) {
        Linear linear = Linear.conv1d(params, module, in, out, bias);
        adaptable.add(linear);
        return linear;
    }

    @Override
    public Projection plainLinear(String module, long in, long out, boolean bias) {
        return new Linear(params, module, in, out, bias);
    }

    @Override
    public Weight ones(String key, long size) {
        return params.constant(key, new Shape(size), 1f);
    }

    @Override
    public Weight zeros(String key, long size) {
        return params.constant(key, new Shape(size), 0f);
    }

    @Override
    public Weight normal(String key, long... shape) {
        return params.normal(key, new Shape(shape));
    }

    @Override
    public DataType dataType() {
        return params.dataType();
    }

    /** The linear layers made by {@link #linear} and {@link #conv1d}, in the order the blocks made them. */
    @Override
    public List<Linear> adaptable() {
        return Collections.unmodifiableList(adaptable);
    }

    @Override
    public Map<String, NDArray> arrays() {
        return params.arrays();
    }

    /** Frees every parameter, and the quantized weights that left the parameters. */
    @Override
    public void close() {
        params.closeAll();
        adaptable.forEach(linear -> {
            if (linear.quantizedWeight() != null) {
                linear.quantizedWeight().close();
            }
        });
    }
}
