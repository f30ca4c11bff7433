package dev.osprey.align.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Label log-probabilities against a log-softmax written out in doubles. */
class LabelLogpsTest {

    private static final double TOL = 1e-9;

    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    private static double logSoftmaxAt(double[] row, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : row) {
            sum += Math.exp(v - max);
        }
        return row[index] - max - Math.log(sum);
    }

    @Test
    void gathersLabelLogProbsAndMasksIgnoredPositions() {
        int b = 2;
        int t = 3;
        int v = 5;
        Random random = new Random(7);
        double[][][] logits = new double[b][t][v];
        double[] flat = new double[b * t * v];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = random.nextGaussian() * 2;
            logits[i / (t * v)][(i / v) % t][i % v] = flat[i];
        }
        long[][] labels = {{-100, 3, 1}, {4, 0, -100}};
        LabelLogps lp = LabelLogps.of(manager.create(flat, new Shape(b, t, v)), manager.create(labels));

        double[] expectedSum = new double[b];
        double[] expectedMean = new double[b];
        double total = 0;
        int count = 0;
        for (int i = 0; i < b; i++) {
            int n = 0;
            for (int j = 0; j < t; j++) {
                if (labels[i][j] != -100) {
                    double x = logSoftmaxAt(logits[i][j], (int) labels[i][j]);
                    expectedSum[i] += x;
                    n++;
                }
            }
            expectedMean[i] = expectedSum[i] / n;
            total += expectedSum[i];
            count += n;
        }
        assertArrayEquals(expectedSum, lp.sum().toDoubleArray(), TOL);
        assertArrayEquals(expectedMean, lp.mean().toDoubleArray(), TOL);
        assertEquals(-total / count, lp.nll().getDouble(), TOL);
        assertArrayEquals(new double[] {0, 1, 1, 1, 1, 0}, lp.mask().toDoubleArray(), 0);
        assertEquals(0.0, lp.perToken().toDoubleArray()[0], 0.0);
    }

    @Test
    void causalShiftDropsLastLogitAndFirstLabel() {
        NDArray logits = manager.randomNormal(new Shape(2, 4, 6));
        NDArray labels = manager.create(new long[][] {{-100, 1, 2, 3}, {-100, -100, 5, 0}});
        LabelLogps shifted = LabelLogps.ofCausal(logits, labels);
        assertEquals(new Shape(2, 3), shifted.perToken().getShape());
        LabelLogps manual = LabelLogps.of(logits.get(":, :-1, :"), labels.get(":, 1:"));
        assertArrayEquals(manual.sum().toFloatArray(), shifted.sum().toFloatArray(), 0f);
    }

    @Test
    void mismatchedShapesAreNamed() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> LabelLogps.of(manager.ones(new Shape(2, 3, 4)), manager.create(new long[][] {{1, 2}})));
        assertEquals(true, e.getMessage().contains("(B, T, V)"));
    }
}
