package dev.osprey.export.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * The Cholesky factor of a symmetric positive-definite matrix from DJL's tensor ops (DJL 0.36 exposes {@code
 * inverse} but no {@code cholesky}): one column per step, each a matrix-vector product on the engine.
 */
final class Cholesky {

    private Cholesky() {}

    /**
     * U upper triangular with {@code a = Uᵀ U} (torch's {@code cholesky(a, upper=True)}), in F64.
     *
     * @param a (n, n) symmetric positive definite
     * @throws IllegalArgumentException when a pivot is not positive (the matrix is not positive definite)
     */
    static NDArray upper(NDArray a) {
        return lower(a).transpose().duplicate(); // (n, n)
    }

    /** L lower triangular with {@code a = L Lᵀ}, in F64. */
    static NDArray lower(NDArray a) {
        NDManager m = a.getManager();
        NDArray a64 = a.toType(DataType.FLOAT64, false);
        int n = Math.toIntExact(a64.getShape().get(0));
        NDArray l = m.zeros(a64.getShape(), DataType.FLOAT64); // (n, n)
        for (int j = 0; j < n; j++) {
            try (NDScope step = new NDScope()) { // each step's vectors go with it; l is filled in place
                step.suppressNotUsedWarning();
                NDArray column = a64.get(new NDIndex("{}:, {}", j, j)); // (n - j)
                if (j > 0) {
                    NDArray below = l.get(new NDIndex("{}:, :{}", j, j)); // (n - j, j)
                    NDArray row = l.get(new NDIndex("{}, :{}", j, j)); // (j)
                    column = column.sub(below.matMul(row)); // (n - j)
                }
                double pivot = column.getDouble(0);
                if (!(pivot > 0)) {
                    throw new IllegalArgumentException("the matrix is not positive definite (pivot " + pivot
                            + " at column " + j + "); raise --damp_percent");
                }
                l.set(new NDIndex("{}:, {}", j, j), Scalars.div(column, Math.sqrt(pivot)));
            }
        }
        return l;
    }
}
