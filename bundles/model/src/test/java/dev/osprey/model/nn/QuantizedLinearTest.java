package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.RelativeError;
import dev.osprey.model.Sgd;
import dev.osprey.model.TinyModels;
import dev.osprey.model.decoder.DecoderModel;

/** QLoRA's base: quantized linear layers compute close to dense ones, pass gradients on, and train adapters. */
class QuantizedLinearTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray ids() {
        return manager.create(new long[] {5, 9, 12, 5, 9, 12, 5, 9, 30, 31, 32, 33, 30, 31, 32, 33}, new Shape(2, 8));
    }

    private NDArray logits(DecoderModel model, String adapter) {
        return model.forward(ForwardRequest.builder(ids()).optAdapter(adapter).build())
                .logits();
    }

    private static void quantize(DecoderModel model, QuantSpec spec) {
        model.linears().forEach(l -> l.quantize(spec));
    }

    /** ‖a − b‖ / ‖b‖ over all logits. */
    @Test
    void quantizedLogitsStayCloseToTheDenseOnes() {
        DecoderModel reference = TinyModels.build(manager, TinyModels.llama(), 41);
        NDArray dense = logits(reference, null);
        NDArray x = manager.randomNormal(new Shape(8, 32));
        NDArray layerOutput = reference.linears().get(0).forward(x); // q_proj
        // measured on this model: weights 0.095 / 0.071 / 0.0055, one layer's output about the same, logits
        // 0.29 / 0.26 / 0.018: a random width-32 model with std-0.2 weights amplifies the noise about 3 times
        float[] layerBounds = {0.12f, 0.09f, 0.008f};
        float[] logitBounds = {0.4f, 0.4f, 0.03f};
        QuantSpec[] specs = {QuantSpec.nf4(), new QuantSpec(QuantSpec.Method.INT4, 16), QuantSpec.int8()};
        for (int i = 0; i < specs.length; i++) {
            DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 41);
            quantize(model, specs[i]);
            float layer = RelativeError.of(model.linears().get(0).forward(x), layerOutput);
            float error = RelativeError.of(logits(model, null), dense);
            System.out.println(specs[i] + ": relative error of q_proj's output " + layer + ", of the logits " + error);
            assertTrue(layer > 0 && layer < layerBounds[i], specs[i] + ": relative q_proj output error " + layer);
            assertTrue(error > 0 && error < logitBounds[i], specs[i] + ": relative logits error " + error);
        }
    }

    @Test
    void aQuantizedLayerLeavesTheParametersAndSaysHowToReadItsWeight() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 42);
        Linear q = model.linears().get(0);
        int before = model.parameters().size();
        q.quantize(QuantSpec.nf4());
        assertEquals(before - 1, model.parameters().size());
        assertFalse(model.parameters().containsKey(q.name() + ".weight"));
        IllegalStateException e = assertThrows(IllegalStateException.class, q::weight);
        assertTrue(e.getMessage().contains(q.name()) && e.getMessage().contains("dequantizedWeight"), e.getMessage());
        assertEquals(
                new Shape(q.outFeatures(), q.inFeatures()),
                q.dequantizedWeight(DataType.FLOAT32).getShape());
        assertThrows(IllegalStateException.class, () -> q.quantize(QuantSpec.int8()));
        Linear tied = new Linear("lm_head", model.params().get("model.embed_tokens.weight"));
        assertTrue(assertThrows(IllegalStateException.class, () -> tied.quantize(QuantSpec.nf4()))
                .getMessage()
                .contains("lm_head"));
    }

    @Test
    void gradientsReachTheInputThroughTheDequantizedWeight() {
        Params params = new Params(manager, DataType.FLOAT32, 3, 0.5);
        Linear linear = new Linear(params, "proj", 24, 16, true);
        linear.quantize(QuantSpec.nf4());
        NDArray x = manager.randomNormal(new Shape(3, 24));
        x.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            collector.backward(linear.forward(x).sum());
        }
        // d(sum(x Wᵀ + b))/dx = column sums of W, in every row
        NDArray expected = linear.dequantizedWeight(DataType.FLOAT32)
                .sum(new int[] {0})
                .expandDims(0)
                .repeat(0, 3); // (3, 24)
        assertArrayEquals(expected.toFloatArray(), x.getGradient().toFloatArray(), 1e-5f);
    }

    @Test
    void loraOnAQuantizedBaseTrainsWhileTheCodesStayFrozen() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 43);
        quantize(model, QuantSpec.nf4());
        NDArray codesBefore =
                ((Nf4Weight) model.linears().get(0).quantizedWeight()).codes().duplicate();
        List<NDArray> trainable = new ArrayList<>();
        for (Linear l : model.linears()) {
            NDArray a = manager.randomNormal(0, 0.1f, new Shape(4, l.inFeatures()), DataType.FLOAT32);
            NDArray b = manager.zeros(new Shape(l.outFeatures(), 4));
            l.attach("qlora", new LoraWeights(a, b, LoraWeights.scaling(8, 4, false)));
            trainable.add(a);
            trainable.add(b);
        }
        float[] losses = Sgd.run(model, ids(), "qlora", trainable, 15, 0.05f);
        assertTrue(losses[1] < losses[0] * 0.9, "QLoRA loss " + losses[0] + " -> " + losses[1]);
        assertArrayEquals(
                codesBefore.toByteArray(),
                ((Nf4Weight) model.linears().get(0).quantizedWeight()).codes().toByteArray());
    }

    @Test
    void mergingIntoAQuantizedLayerDequantizesItForGood() {
        DecoderModel model = TinyModels.build(manager, TinyModels.llama(), 44);
        quantize(model, QuantSpec.int8());
        int quantizedParams = model.parameters().size();
        for (Linear l : model.linears()) {
            l.attach(
                    "m",
                    new LoraWeights(
                            manager.randomNormal(0, 0.3f, new Shape(2, l.inFeatures()), DataType.FLOAT32),
                            manager.randomNormal(0, 0.3f, new Shape(l.outFeatures(), 2), DataType.FLOAT32),
                            2));
        }
        // a training pass dequantizes in F32 as the merge does; an inference pass would use the packed BF16 kernel
        NDArray unmerged = model.forward(ForwardRequest.builder(ids())
                        .optAdapter("m")
                        .optTraining(true)
                        .build())
                .logits();
        model.linears().forEach(l -> l.merge("m"));
        assertArrayEquals(unmerged.toFloatArray(), logits(model, null).toFloatArray(), 2e-4f);
        Linear first = model.linears().get(0);
        assertNull(first.quantizedWeight());
        assertEquals(first.outFeatures() * first.inFeatures() * 4, first.weightBytes());
        assertEquals(
                quantizedParams + model.linears().size(), model.parameters().size());
    }
}
