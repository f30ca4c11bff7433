package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;

/** The linear layers of a decoder's layers, found by checkpoint name, and how their weights are swapped. */
final class DecoderLinears {

    private DecoderLinears() {}

    /** The linear layers under {@code model.layers.N.} (not the head, not the embeddings), in model order. */
    static List<Linear> ofLayer(DecoderModel model, int layer) {
        String prefix = model.layout().keys().layers() + "." + layer + ".";
        List<Linear> linears = new ArrayList<>();
        for (Linear l : model.adaptableLinears()) {
            if (l.name().startsWith(prefix)) {
                linears.add(l);
            }
        }
        return linears;
    }

    /**
     * The linear layers of layer {@code layer} grouped by the input they share (q, k, v read one array; gate and up
     * another), in the order the layer first feeds them: one pass of the runner's first sample decides.
     */
    static List<List<Linear>> inputGroups(DecoderModel model, LayerRunner runner, int layer) throws Exception {
        Map<Linear, NDArray> firstInput = new LinkedHashMap<>();
        List<AutoCloseable> handles = new ArrayList<>();
        try {
            for (Linear l : ofLayer(model, layer)) {
                handles.add(l.observeInputs(x -> firstInput.putIfAbsent(l, x)));
            }
            runner.run(layer, 1);
        } finally {
            for (AutoCloseable h : handles) {
                h.close();
            }
        }
        Map<NDArray, List<Linear>> groups = new IdentityHashMap<>();
        List<List<Linear>> ordered = new ArrayList<>();
        for (Map.Entry<Linear, NDArray> e : firstInput.entrySet()) {
            List<Linear> group = groups.get(e.getValue());
            if (group == null) {
                group = new ArrayList<>();
                groups.put(e.getValue(), group);
                ordered.add(group);
            }
            group.add(e.getKey());
        }
        return ordered;
    }

    /** The layer's weight (out, in) as a new F32 array in the model's manager. */
    static NDArray weight(Linear linear) {
        // duplicate: DJL's toType(..., true) to the same type can hand back the same native tensor
        return linear.weight().get().toType(DataType.FLOAT32, false).duplicate();
    }

    /** Replaces the layer's weight by {@code values} (out, in), in the model's type. */
    static void setWeight(Linear linear, float[] values) {
        NDArray current = linear.weight().get();
        NDArray w = current.getManager().create(values, new Shape(linear.outFeatures(), linear.inFeatures()));
        NDArray typed = w.getDataType() == current.getDataType() ? w : retype(w, current.getDataType());
        NDScope.unregister(typed); // the model's now, not the caller's scope's
        linear.weight().set(typed);
    }

    /** Replaces the layer's weight by {@code w} (out, in), copied into the model's manager and type. */
    static void setWeight(Linear linear, NDArray w) {
        NDArray current = linear.weight().get();
        NDArray copy = w.toType(current.getDataType(), false).duplicate();
        NDScope.unregister(copy);
        copy.attach(current.getManager());
        linear.weight().set(copy);
    }

    private static NDArray retype(NDArray w, DataType type) {
        NDArray t = w.toType(type, false);
        w.close();
        return t;
    }
}
