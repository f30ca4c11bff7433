package dev.osprey.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/**
 * A weight (out, in) seen as blocks of consecutive rows, one per core (one in all for a small weight),
 * each a transposed view (in, rows) sharing the weight's memory, so that x·Wᵀ is computed block by block on separate cores.
 * Every output element is the same dot product as in the whole product.
 */
final class RowBlocks implements AutoCloseable {

    /** Below this a weight is read faster by one core than the handoff to another costs: {@code -Dosprey.inference.split_bytes}. */
    static final long MIN_BYTES = Long.getLong("osprey.inference.split_bytes", 1L << 20);

    final NDArray weight;
    private final NDArray[] transposedBlocks;

    RowBlocks(NDArray weight) {
        this.weight = weight;
        long rows = weight.getShape().get(0);
        // a small weight is read faster by one core than a handoff to another costs
        int ways = bytes(weight) < MIN_BYTES ? 1 : (int) Math.min(InferenceThreads.WAYS, rows);
        transposedBlocks = new NDArray[ways];
        for (int i = 0; i < ways; i++) {
            long from = rows * i / ways;
            long to = rows * (i + 1) / ways;
            try (NDArray block = weight.get(new NDIndex("{}:{}", from, to))) { // (to - from, in), a view
                transposedBlocks[i] = block.transpose(); // (in, to - from), a view
            }
            // made during some pass, but kept with the weight (and freed with the model's manager)
            NDScope.unregister(transposedBlocks[i]);
        }
    }

    static long bytes(NDArray w) {
        return w.getShape().size() * w.getDataType().getNumOfBytes();
    }

    /** @param x (..., in) @return (..., out) */
    NDArray multiply(NDArray x) {
        if (transposedBlocks.length == 1) {
            return x.matMul(transposedBlocks[0]); // the kept transposed view saves an op per call
        }
        NDArray y = InferenceThreads.concatenated(transposedBlocks.length, b -> x.matMul(transposedBlocks[b]));
        return y != null ? y : x.matMul(weight.transpose()); // null: the workers serve another pass right now
    }

    @Override
    public void close() {
        for (NDArray b : transposedBlocks) {
            b.close();
        }
    }
}
