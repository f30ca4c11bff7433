package dev.osprey.models.qwen;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.osprey.api.engine.Scalars;

/**
 * The chunked gated delta rule equals the position-by-position recurrence over several chunks, from a given state,
 * and a pass split in two (the state carried between) equals the whole; gradients reach every input.
 */
class GatedDeltaRuleTest {

    private static final long B = 2;
    private static final long H = 3;
    private static final long T = 11;
    private static final long DK = 4;
    private static final long DV = 5;

    @Test
    void chunksEqualTheRecurrenceAndCarryTheState() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray q = Scalars.mul(GatedDeltaRule.l2Normalized(m.randomNormal(new Shape(B, H, T, DK))), 0.5f);
            NDArray k = GatedDeltaRule.l2Normalized(m.randomNormal(new Shape(B, H, T, DK)));
            NDArray v = m.randomNormal(new Shape(B, H, T, DV));
            NDArray g =
                    GatedDeltaRule.softplus(m.randomNormal(new Shape(B, H, T))).neg();
            NDArray beta = m.randomUniform(0f, 1f, new Shape(B, H, T));
            NDArray state = m.randomNormal(new Shape(B, H, DK, DV));

            NDArray[] stepwise = GatedDeltaRule.recurrent(q, k, v, g, beta, state);
            NDArray[] chunked = GatedDeltaRule.chunked(q, k, v, g, beta, state, 4); // 3 chunks, the last padded
            assertClose(stepwise[0], chunked[0], "outputs");
            assertClose(stepwise[1], chunked[1], "final state");

            NDIndex head = new NDIndex(":, :, :6");
            NDIndex tail = new NDIndex(":, :, 6:");
            NDArray[] first = GatedDeltaRule.chunked(
                    q.get(head), k.get(head), v.get(head), g.get(head), beta.get(head), state, 8);
            NDArray[] second = GatedDeltaRule.chunked(
                    q.get(tail), k.get(tail), v.get(tail), g.get(tail), beta.get(tail), first[1], 8);
            assertClose(stepwise[0], first[0].concat(second[0], 2), "outputs of a pass split in two");
            assertClose(stepwise[1], second[1], "state after a pass split in two");
        }
    }

    @Test
    void gradientsReachEveryInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = GatedDeltaRule.l2Normalized(m.randomNormal(new Shape(1, 2, 6, DK)));
            NDArray k = GatedDeltaRule.l2Normalized(m.randomNormal(new Shape(1, 2, 6, DK)));
            NDArray v = m.randomNormal(new Shape(1, 2, 6, DV));
            NDArray a = m.randomNormal(new Shape(1, 2, 6));
            NDArray beta = m.randomUniform(0f, 1f, new Shape(1, 2, 6));
            for (NDArray x : new NDArray[] {q, k, v, a, beta}) {
                x.setRequiresGradient(true);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray g = GatedDeltaRule.softplus(a).neg();
                NDArray[] out = GatedDeltaRule.chunked(q, k, v, g, beta, null, 4);
                collector.backward(out[0].square().sum().add(out[1].sum()));
            }
            for (NDArray x : new NDArray[] {q, k, v, a, beta}) {
                NDArray grad = x.getGradient();
                assertNotNull(grad);
                assertTrue(grad.abs().sum().getFloat() > 0, "a gradient of zero for an input of shape " + x.getShape());
            }
        }
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        float worst = expected.sub(actual).abs().max().getFloat();
        float scale = expected.abs().max().getFloat();
        assertTrue(worst <= 1e-4f * Math.max(1f, scale), what + " differ by " + worst + " (scale " + scale + ")");
    }
}
