package dev.osprey.align.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

/**
 * End to end: free logits (the "policy") trained by plain gradient descent on the DPO loss of label
 * log-probabilities, against a frozen copy as reference, learn to prefer every chosen completion.
 */
class DpoConvergenceTest {

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void gradientDescentOnDpoDrivesRewardAccuracyToOne() {
        int pairs = 4;
        int t = 3;
        int v = 7;
        manager.getEngine().setRandomSeed(11);
        NDArray chosenLogits = manager.randomNormal(new Shape(pairs, t, v)); // (B, T, V) float32
        NDArray rejectedLogits = manager.randomNormal(new Shape(pairs, t, v));
        // prompt position masked out, as a collator does
        NDArray chosenLabels = manager.create(new long[][] {{-100, 1, 2}, {-100, 3, 3}, {-100, 0, 6}, {-100, 5, 4}});
        NDArray rejectedLabels = manager.create(new long[][] {{-100, 2, 1}, {-100, 4, 0}, {-100, 6, 6}, {-100, 2, 5}});
        NDArray refChosen = LabelLogps.of(chosenLogits, chosenLabels).sum().duplicate();
        NDArray refRejected =
                LabelLogps.of(rejectedLogits, rejectedLabels).sum().duplicate();
        chosenLogits.setRequiresGradient(true);
        rejectedLogits.setRequiresGradient(true);

        DpoLoss dpo = new DpoLoss();
        double firstLoss = Double.NaN;
        LossOutput out = null;
        double lr = 5.0; // loss gradients carry beta/B = 0.025
        for (int step = 0; step < 200; step++) {
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                out = dpo.compute(
                        LabelLogps.of(chosenLogits, chosenLabels).sum(),
                        LabelLogps.of(rejectedLogits, rejectedLabels).sum(),
                        refChosen,
                        refRejected);
                collector.backward(out.loss());
            }
            if (step == 0) {
                firstLoss = out.loss().getFloat();
                assertEquals(Math.log(2), firstLoss, 1e-5, "policy = reference gives log 2");
            }
            for (NDArray p : new NDArray[] {chosenLogits, rejectedLogits}) {
                p.stopGradient().subi(p.getGradient().mul(lr)); // same storage, outside the graph
                p.getGradient().set(new NDIndex("..."), 0f);
            }
        }
        assertEquals(1.0, out.metric("rewards/accuracies"), 0.0);
        assertTrue(out.metric("rewards/margins") > 0);
        assertTrue(
                out.loss().getFloat() < firstLoss / 2,
                "loss fell from " + firstLoss + " to " + out.loss().getFloat());
    }
}
