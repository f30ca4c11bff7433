package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;

/**
 * GPTQ (Frantar et al. 2022, as AutoGPTQ's {@code GPTQ.fasterquant}) for one linear weight: input columns are
 * quantized one at a time and each one's rounding error, weighted by the inverse Hessian {@code H = 2XXᵀ/n} of the
 * layer's calibration inputs, is pushed onto the columns not yet quantized (lazily, in blocks of 128 columns).
 * {@code H} is damped by {@code damp_percent} of its mean diagonal; the inverse's upper Cholesky factor drives the
 * updates. With act-order ({@code desc_act}) columns go in order of decreasing {@code H} diagonal and the group of
 * each input row is written to {@code g_idx}; groups of {@code group_size} rows share a scale and zero (-1: one
 * group). Runs on DJL's tensor ops; rows of the (in, out) transposed weight are the columns GPTQ walks.
 */
final class Gptq {

    static final int BLOCK = 128;

    private Gptq() {}

    /**
     * @param weight (out, in)
     * @param hessian (in, in) {@code 2XXᵀ/n} of the layer's inputs, or null when it saw no input (then plain
     *     round-to-nearest: the identity Hessian)
     * @param groupSize rows per group, or -1 for one group per output channel
     */
    static GroupCodes quantize(
            NDArray weight, NDArray hessian, int bits, int groupSize, boolean symmetric, boolean descAct, double damp) {
        int out = Math.toIntExact(weight.getShape().get(0));
        int in = Math.toIntExact(weight.getShape().get(1));
        if (groupSize > 0 && in % groupSize != 0) {
            throw new IllegalArgumentException(
                    "--group_size " + groupSize + " does not divide the " + in + " input features of a linear layer");
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDManager m = weight.getManager();
            NDArray w = weight.toType(DataType.FLOAT32, true).transpose().duplicate(); // (in, out)
            NDArray h = hessian == null
                    ? m.eye(in, in, 0, DataType.FLOAT64)
                    : hessian.toType(DataType.FLOAT64, true); // (in, in)
            // inputs that were always zero: their weights do not matter (zeroed) and H gets a unit diagonal
            NDArray dead = h.diagonal().eq(0.0); // (in)
            h = h.add(m.eye(in, in, 0, DataType.FLOAT64).mul(dead.toType(DataType.FLOAT64, false)));
            w = w.mul(dead.logicalNot().toType(DataType.FLOAT32, false).expandDims(1)); // (in, out)

            NDArray perm = descAct
                    ? h.diagonal().argSort(0, false)
                    : m.arange(0, in, 1, DataType.INT64); // (in): the order columns are quantized in
            w = w.get(perm); // (in, out) permuted rows
            h = h.get(perm).transpose().get(perm).transpose(); // (in, in) permuted both ways

            double dampValue = damp * h.diagonal().mean().getDouble();
            h = h.add(Scalars.mul(m.eye(in, in, 0, DataType.FLOAT64), dampValue));
            NDArray hinv = Cholesky.upper(h.inverse()).toType(DataType.FLOAT32, false); // (in, in)

            int block = groupSize > 0 ? groupSize * Math.max(1, BLOCK / groupSize) : BLOCK;
            QuantGrid grid = groupSize > 0 ? null : QuantGrid.of(w, bits, symmetric);
            List<NDArray> codeRows = new ArrayList<>();
            List<NDArray> scales = new ArrayList<>();
            List<NDArray> zeros = new ArrayList<>();
            if (grid != null) {
                keep(grid.scale(), scales);
                keep(grid.zero(), zeros);
            }
            for (int i1 = 0; i1 < in; i1 += block) {
                int i2 = Math.min(i1 + block, in);
                int count = i2 - i1;
                // one scope per block: the rank-1 updates' temporaries go with it, the codes and grids stay
                try (NDScope blockScope = new NDScope()) {
                    blockScope.suppressNotUsedWarning();
                    NDArray w1 = w.get(new NDIndex("{}:{}", i1, i2)).duplicate(); // (count, out)
                    NDArray hinv1 = hinv.get(new NDIndex("{}:{}, {}:{}", i1, i2, i1, i2)); // (count, count)
                    NDArray[] errors = new NDArray[count];
                    for (int i = 0; i < count; i++) {
                        if (groupSize > 0 && (i1 + i) % groupSize == 0) {
                            grid = QuantGrid.of(
                                    w1.get(new NDIndex("{}:{}", i, Math.min(i + groupSize, count))), bits, symmetric);
                            keep(grid.scale(), scales);
                            keep(grid.zero(), zeros);
                        }
                        NDArray column = w1.get(i); // (out)
                        NDArray codes = grid.codes(column, bits); // (out)
                        NDArray error = Scalars.div(column.sub(grid.dequantize(codes)), hinv1.getFloat(i, i)); // (out)
                        if (i + 1 < count) {
                            NDArray coupling =
                                    hinv1.get(new NDIndex("{}, {}:", i, i + 1)).expandDims(1); // (count-i-1, 1)
                            NDArray rest = w1.get(new NDIndex("{}:", i + 1)); // (count-i-1, out)
                            w1.set(new NDIndex("{}:", i + 1), rest.sub(coupling.mul(error.expandDims(0))));
                        }
                        keep(codes, codeRows);
                        errors[i] = error;
                    }
                    if (i2 < in) {
                        NDArray err = NDArrays.stack(new NDList(errors)); // (count, out)
                        NDArray coupling = hinv.get(new NDIndex("{}:{}, {}:", i1, i2, i2)); // (count, in - i2)
                        NDArray rest = w.get(new NDIndex("{}:", i2)); // (in - i2, out)
                        w.set(
                                new NDIndex("{}:", i2),
                                rest.sub(coupling.transpose().matMul(err)));
                    }
                }
            }
            NDArray permuted = NDArrays.stack(new NDList(codeRows)); // (in, out) in quantization order
            int[] order = perm.toType(DataType.INT32, false).toIntArray();
            int[] permutedCodes = permuted.toType(DataType.INT32, false).toIntArray();
            int[] codes = new int[in * out];
            int[] gIdx = new int[in];
            for (int j = 0; j < in; j++) {
                System.arraycopy(permutedCodes, j * out, codes, order[j] * out, out);
                gIdx[order[j]] = groupSize > 0 ? j / groupSize : 0;
            }
            float[] scaleValues = NDArrays.stack(new NDList(scales)).toFloatArray(); // (groups, out)
            int[] zeroValues = NDArrays.stack(new NDList(zeros))
                    .toType(DataType.INT32, false)
                    .toIntArray();
            for (List<NDArray> kept : List.of(codeRows, scales, zeros)) {
                kept.forEach(NDArray::close); // out of every scope (keep), so closed here
            }
            return GroupCodes.of(out, in, bits, codes, scaleValues, zeroValues, gIdx);
        }
    }

    /** Keeps {@code array} past the block's scope; the caller closes it. */
    private static void keep(NDArray array, List<NDArray> into) {
        NDScope.unregister(array);
        into.add(array);
    }

    /**
     * Round-to-nearest on the same grids, in natural order: the baseline GPTQ must beat. The codes {@link #quantize}
     * gives with the identity Hessian (its updates are then all zero), computed a group at a time: taking the
     * identity through the F64 inverse, the Cholesky factor and the column loop cost as much as GPTQ's own
     * inverse and factor (a 1.1B-shaped export spent about a quarter of its time on it).
     */
    static GroupCodes roundToNearest(NDArray weight, int bits, int groupSize, boolean symmetric) {
        int out = Math.toIntExact(weight.getShape().get(0));
        int in = Math.toIntExact(weight.getShape().get(1));
        if (groupSize > 0 && in % groupSize != 0) {
            throw new IllegalArgumentException(
                    "--group_size " + groupSize + " does not divide the " + in + " input features of a linear layer");
        }
        int size = groupSize > 0 ? groupSize : in;
        int groups = in / size;
        int[] codes = new int[in * out];
        float[] scales = new float[groups * out];
        int[] zeros = new int[groups * out];
        int[] gIdx = new int[in];
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray w = weight.toType(DataType.FLOAT32, true).transpose(); // (in, out)
            for (int g = 0; g < groups; g++) {
                NDArray rows = w.get(new NDIndex("{}:{}", g * size, (g + 1) * size)); // (size, out)
                QuantGrid grid = QuantGrid.of(rows, bits, symmetric);
                int[] groupCodes =
                        grid.codes(rows, bits).toType(DataType.INT32, false).toIntArray();
                System.arraycopy(groupCodes, 0, codes, g * size * out, groupCodes.length);
                System.arraycopy(grid.scale().toFloatArray(), 0, scales, g * out, out);
                System.arraycopy(grid.zero().toType(DataType.INT32, false).toIntArray(), 0, zeros, g * out, out);
            }
        }
        for (int i = 0; i < in; i++) {
            gIdx[i] = groupSize > 0 ? i / groupSize : 0;
        }
        return GroupCodes.of(out, in, bits, codes, scales, zeros, gIdx);
    }
}
