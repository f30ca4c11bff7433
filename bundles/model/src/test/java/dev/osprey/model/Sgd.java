package dev.osprey.model;

import java.util.List;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.Losses;

/** Plain SGD through real autograd on the causal-LM loss of a batch, for the model core's training tests. */
public final class Sgd {

    private Sgd() {}

    /** The causal-LM loss of {@code ids} predicting themselves, without training behaviour. */
    public static float loss(DecoderModel model, NDArray ids, String adapter) {
        return Losses.causalLm(
                        model.forward(ForwardRequest.builder(ids)
                                        .optAdapter(adapter)
                                        .build())
                                .logits(),
                        ids)
                .getFloat();
    }

    /** Runs {@code steps} SGD steps on {@code trainable}; returns the losses before and after. */
    public static float[] run(
            DecoderModel model, NDArray ids, String adapter, List<NDArray> trainable, int steps, float lr) {
        trainable.forEach(p -> p.setRequiresGradient(true));
        float before = loss(model, ids, adapter);
        NDManager parent = ids.getManager();
        for (int s = 0; s < steps; s++) {
            try (NDManager step = parent.newSubManager()) {
                NDArray input = step.create(ids.toLongArray(), ids.getShape());
                try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                    NDArray logits = model.forward(ForwardRequest.builder(input)
                                    .optTraining(true)
                                    .optAdapter(adapter)
                                    .build())
                            .logits();
                    collector.backward(Losses.causalLm(logits, input));
                }
                for (NDArray p : trainable) {
                    NDArray grad = p.getGradient();
                    p.subi(grad.mul(lr));
                    grad.subi(grad); // zero for the next step
                }
            }
        }
        return new float[] {before, loss(model, ids, adapter)};
    }
}
