package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.decoder.DecoderModel.LayerPass;

/**
 * The calibration samples taken through a decoder one layer at a time, as GPTQ and AWQ need: each sample's hidden
 * states wait at the input of the next layer to quantize, so that layer sees what the already-quantized layers
 * before it produce. One sample per pass (samples differ in length). Closing frees every array it holds.
 */
final class LayerRunner implements AutoCloseable {

    private final DecoderModel model;
    private final NDManager manager;
    private final List<LayerPass> passes = new ArrayList<>();
    private final List<NDArray> hidden = new ArrayList<>();

    /** @param samples token ids, one array per sample */
    LayerRunner(DecoderModel model, NDManager parent, List<int[]> samples) {
        this.model = model;
        this.manager = parent.newSubManager();
        for (int[] sample : samples) {
            long[] ids = new long[sample.length];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = sample[t];
            }
            NDArray input = manager.create(ids, new Shape(1, ids.length)); // (1, T)
            LayerPass pass = model.beginLayers(ForwardRequest.builder(input).build());
            passes.add(pass);
            hidden.add(pass.embeddings()); // (1, T, H)
        }
    }

    int samples() {
        return passes.size();
    }

    /** Runs layer {@code layer} on every sample for its side effects (observers on its linear layers). */
    void run(int layer) {
        run(layer, passes.size());
    }

    /** Runs layer {@code layer} on the first {@code count} samples. */
    void run(int layer, int count) {
        for (int s = 0; s < Math.min(count, passes.size()); s++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                model.layer(layer, hidden.get(s), passes.get(s));
            }
        }
    }

    /** The outputs (1, T, H) of layer {@code layer} for every sample; the caller closes them. */
    List<NDArray> outputs(int layer) {
        List<NDArray> outputs = new ArrayList<>();
        for (int s = 0; s < passes.size(); s++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray out = model.layer(layer, hidden.get(s), passes.get(s)); // (1, T, H)
                NDScope.unregister(out);
                out.attach(manager);
                outputs.add(out);
            }
        }
        return outputs;
    }

    /** Moves every sample past layer {@code layer} as the layer now computes. */
    void advance(int layer) {
        List<NDArray> next = outputs(layer);
        for (int s = 0; s < hidden.size(); s++) {
            NDArray old = hidden.get(s);
            if (old != passes.get(s).embeddings()) {
                old.close();
            }
            hidden.set(s, next.get(s));
        }
    }

    /** Mean squared difference between the current outputs of {@code layer} and {@code reference}. */
    double outputError(int layer, List<NDArray> reference) {
        double sum = 0;
        long count = 0;
        for (int s = 0; s < passes.size(); s++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray out = model.layer(layer, hidden.get(s), passes.get(s)); // (1, T, H)
                NDArray diff = out.sub(reference.get(s));
                sum += diff.mul(diff)
                        .sum()
                        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                        .getDouble();
                count += out.size();
            }
        }
        return sum / count;
    }

    @Override
    public void close() {
        manager.close();
    }
}
