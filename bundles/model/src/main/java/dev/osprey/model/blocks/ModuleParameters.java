package dev.osprey.model.blocks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Params;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;
import dev.osprey.model.spi.Weight;

/** The SPI's {@link Parameters} over a model's {@link Params}, keeping the linear layers LoRA may adapt. */
public final class ModuleParameters implements Parameters {

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

    /** The linear layers made by {@link #linear}, in the order the blocks made them. */
    public List<Linear> adaptable() {
        return Collections.unmodifiableList(adaptable);
    }
}
