package dev.osprey.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

import dev.osprey.api.engine.Scalars;

/**
 * Two 4-bit codes per byte, the first of each pair in the high nibble (bitsandbytes' order). Packing uses
 * float arithmetic on NDArrays (exact below 256); unpacking is one gather from a 256-row table that holds
 * both nibbles' values, so no per-nibble integer arithmetic runs in the forward pass.
 */
final class Nibbles {

    private Nibbles() {}

    /** @param codes (n) integer values 0..15 in any numeric type, n even @return (n / 2) UINT8 */
    static NDArray pack(NDArray codes) {
        NDArray pairs = codes.toType(DataType.FLOAT32, false).reshape(-1, 2); // (n/2, 2)
        NDArray high = pairs.get(":, 0"); // (n/2)
        NDArray low = pairs.get(":, 1"); // (n/2)
        return Scalars.mul(high, 16).add(low).toType(DataType.UINT8, false);
    }

    /**
     * Looks up both nibbles of every byte at once: row {@code b} of the returned table's source is
     * {@code (values[b >> 4], values[b & 15])}, gathered with the embedding op.
     *
     * @param packed (m) UINT8
     * @param pairTable (256, 2) from {@link #pairTable}
     * @return (2m) the looked-up values, first nibble first
     */
    static NDArray lookup(NDArray packed, NDArray pairTable) {
        NDArray index = packed.toType(DataType.INT32, false); // (m)
        NDArray pairs =
                Embedding.embedding(index, pairTable, SparseFormat.DENSE).singletonOrThrow(); // (m, 2)
        return pairs.reshape(-1); // (2m)
    }

    /** The (256, 2) table of {@code (values[b >> 4], values[b & 15])} for every byte b. */
    static NDArray pairTable(NDManager manager, float[] values) {
        float[] table = new float[512];
        for (int b = 0; b < 256; b++) {
            table[2 * b] = values[b >> 4];
            table[2 * b + 1] = values[b & 15];
        }
        return manager.create(table, new Shape(256, 2));
    }
}
