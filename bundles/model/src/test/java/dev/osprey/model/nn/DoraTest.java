package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;

/** DoRA as PEFT defines it: starts equal to the base, merges exactly, trains, and works on a quantized base. */
class DoraTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray ids() {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    private float[] logits(DecoderModel model, String adapter) {
        return model.forward(ForwardRequest.builder(ids()).optAdapter(adapter).build())
                .logits()
                .toFloatArray();
    }

    /** Fresh DoRA adapters (B zero) on every linear layer; returns A, B and m of each. */
    private List<NDArray> attachFresh(DecoderModel model, String name) {
        List<NDArray> trainable = new ArrayList<>();
        for (Linear l : model.linears()) {
            NDArray a = manager.randomNormal(0, 0.2f, new Shape(4, l.inFeatures()), DataType.FLOAT32);
            LoraWeights dora = l.attachDora(
                    name, a, manager.zeros(new Shape(l.outFeatures(), 4)), LoraWeights.scaling(8, 4, false));
            trainable.addAll(List.of(dora.a(), dora.b(), dora.magnitude()));
        }
        return trainable;
    }

    @Test
    void aFreshDoraAdapterLeavesTheModelAsItWas() {
        DecoderModel model = TinyModels.build(manager, TinyModels.spec(true, false, 0), 51); // with q/k/v biases
        float[] base = logits(model, null);
        attachFresh(model, "dora");
        assertArrayEquals(base, logits(model, "dora"), 0f);
        Linear q = model.linears().get(0);
        NDArray rowNorms = q.weight().get().square().sum(new int[] {1}).sqrt();
        assertArrayEquals(rowNorms.toFloatArray(), q.adapter("dora").magnitude().toFloatArray(), 1e-6f);
    }

    @Test
    void mergedEqualsUnmergedWithBiasesLeftUnscaled() {
        DecoderModel model = TinyModels.build(manager, TinyModels.spec(true, false, 0), 52);
        float[] base = logits(model, null);
        for (Linear l : model.linears()) {
            NDArray a = manager.randomNormal(0, 0.3f, new Shape(4, l.inFeatures()), DataType.FLOAT32);
            NDArray b = manager.randomNormal(0, 0.3f, new Shape(l.outFeatures(), 4), DataType.FLOAT32);
            LoraWeights fresh = l.attachDora("style", a, b, 2);
            // a trained magnitude differs from the initial norms
            NDArray m = fresh.magnitude()
                    .mul(manager.randomUniform(0.5f, 1.5f, fresh.magnitude().getShape(), DataType.FLOAT32));
            l.attach("style", new LoraWeights(a, b, 2, m));
        }
        float[] unmerged = logits(model, "style");
        assertFalse(Arrays.equals(base, unmerged), "the adapter changes the output");
        assertArrayEquals(base, logits(model, null), 0f);
        model.linears().forEach(l -> l.merge("style"));
        assertArrayEquals(unmerged, logits(model, null), 2e-4f);
    }

    @Test
    void trainingADoraAdapterLowersTheLossAndMovesTheMagnitude() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 53);
        List<NDArray> trainable = attachFresh(model, "dora");
        NDArray magnitude = trainable.get(2).duplicate();
        float[] losses = dev.osprey.model.Sgd.run(model, ids(), "dora", trainable, 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "DoRA loss " + losses[0] + " -> " + losses[1]);
        assertTrue(trainable.get(2).sub(magnitude).abs().max().getFloat() > 0, "the magnitude received gradients");
    }

    @Test
    void doraOnAQuantizedBaseStartsAtTheQuantizedModelAndTrains() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 54);
        model.linears().forEach(l -> l.quantize(QuantSpec.nf4()));
        float[] base = logits(model, null);
        List<NDArray> trainable = attachFresh(model, "qdora");
        assertArrayEquals(base, logits(model, "qdora"), 0f);
        float[] losses = dev.osprey.model.Sgd.run(model, ids(), "qdora", trainable, 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "QDoRA loss " + losses[0] + " -> " + losses[1]);
    }
}
