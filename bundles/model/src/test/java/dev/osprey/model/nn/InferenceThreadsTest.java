package dev.osprey.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Products split across cores equal the whole product; tasks really run on other threads; failures reach the caller. */
class InferenceThreadsTest {

    @Test
    void tasksRunOnAnotherThreadAndFailuresReachTheCaller() {
        assumeTrue(InferenceThreads.WAYS > 1, "one core: nothing is split");
        Thread[] ran = new Thread[2];
        assertTrue(InferenceThreads.runAll(
                new Runnable[] {() -> ran[0] = Thread.currentThread(), () -> ran[1] = Thread.currentThread()}));
        assertSame(Thread.currentThread(), ran[0], "the first task runs on the caller");
        assertNotEquals(Thread.currentThread(), ran[1]);
        assertTrue(ran[1].getName().startsWith("osprey-inference-"), ran[1].getName());

        IllegalStateException thrown = assertThrows(
                IllegalStateException.class,
                () -> InferenceThreads.runAll(new Runnable[] {
                    () -> {},
                    () -> {
                        throw new IllegalStateException("from the worker");
                    }
                }));
        assertEquals("from the worker", thrown.getMessage());
        // and the workers still serve the next split
        assertTrue(InferenceThreads.runAll(new Runnable[] {() -> {}, () -> {}}));
    }

    @Test
    void aSplitProductEqualsTheWholeOneAndTrainedWeightsAreNotSplit() {
        assumeTrue(InferenceThreads.WAYS > 1, "one core: nothing is split");
        assertEquals(
                0, RowBlocks.MIN_BYTES, "the build splits every weight in tests (-Dosprey.inference.split_bytes=0)");
        try (NDManager m = NDManager.newBaseManager()) {
            Linear linear =
                    new Linear(new Params(m, DataType.FLOAT32, 7, 0.5), "proj", 48, 77, true); // 77 rows: uneven blocks
            NDArray x = m.randomNormal(new Shape(2, 3, 48)); // (B, T, in)
            NDArray whole = linear.forward(x);
            NDArray split = InferenceThreads.during(() -> linear.forward(x));
            assertEquals(new Shape(2, 3, 77), split.getShape());
            assertTrue(whole.allClose(split, 1e-6, 1e-6, false), "split differs from the whole product");

            // the weight replaced (as loading or merging does): the blocks follow it
            linear.weight().set(m.randomNormal(new Shape(77, 48)));
            assertTrue(linear.forward(x).allClose(InferenceThreads.during(() -> linear.forward(x)), 1e-6, 1e-6, false));

            // a weight that is being trained (though split before) takes the caller's path, where autograd records
            linear.weight().get().setRequiresGradient(true);
            try (ai.djl.training.GradientCollector collector =
                    ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray y = InferenceThreads.during(() -> linear.forward(x));
                collector.backward(y.sum());
            }
            assertTrue(
                    linear.weight().get().getGradient().abs().sum().getFloat() > 0, "no gradient reached the weight");
        }
    }
}
