package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;

class LoraTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private float[] logits(DecoderModel model, String adapter) {
        NDArray ids = manager.create(new long[] {3, 14, 15, 9, 2}, new Shape(1, 5));
        return model.forward(ForwardRequest.builder(ids).optAdapter(adapter).build())
                .logits()
                .toFloatArray();
    }

    private void attachRandom(DecoderModel model, String name, int rank, boolean zeroB, double alpha) {
        for (Linear linear : model.linears()) {
            NDArray a = manager.randomNormal(
                    0, 0.3f, new Shape(rank, linear.inFeatures()), ai.djl.ndarray.types.DataType.FLOAT32);
            NDArray b = zeroB
                    ? manager.zeros(new Shape(linear.outFeatures(), rank))
                    : manager.randomNormal(
                            0, 0.3f, new Shape(linear.outFeatures(), rank), ai.djl.ndarray.types.DataType.FLOAT32);
            linear.attach(name, new LoraWeights(a, b, LoraWeights.scaling(alpha, rank, false)));
        }
    }

    @Test
    void anAdapterWhoseBIsZeroLeavesTheModelAsItWas() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 21);
        float[] base = logits(model, null);
        attachRandom(model, "zero", 4, true, 8);
        assertArrayEquals(base, logits(model, "zero"), 1e-6f);
    }

    @Test
    void mergedEqualsUnmergedAndAdaptersAreSelectedPerRequest() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 22);
        float[] base = logits(model, null);
        attachRandom(model, "style", 4, false, 8);
        float[] unmerged = logits(model, "style");
        assertFalse(Arrays.equals(base, unmerged), "the adapter changes the output");
        assertArrayEquals(base, logits(model, null), 1e-6f); // the base is still there for other requests
        for (Linear linear : model.linears()) {
            linear.merge("style");
        }
        assertArrayEquals(unmerged, logits(model, null), 2e-4f);
    }

    @Test
    void scalingFollowsPeft() {
        assertEquals(2.0, LoraWeights.scaling(16, 8, false), 0);
        assertEquals(16 / Math.sqrt(8), LoraWeights.scaling(16, 8, true), 1e-12);
    }
}
