package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;

/**
 * GPTQ over a whole decoder, as AutoGPTQ runs it with {@code true_sequential}: layer by layer, and inside a layer
 * group by group of linears sharing an input (q k v, then o, then gate up, then down), each group's Hessian taken
 * from calibration inputs that flow through everything already quantized. Each quantized weight replaces the dense
 * one in the model (dequantized), so the next group and layer see its effect.
 */
final class GptqQuantizer {

    /**
     * The codes of every quantized linear by module name, and each one's layer reconstruction error {@code
     * tr((W - Q) H (W - Q)ᵀ)} beside round-to-nearest's on the same grid: {@code {gptq, rtn}}.
     */
    record Result(Map<String, GroupCodes> codes, Map<String, double[]> errors) {

        double total(int which) {
            return errors.values().stream().mapToDouble(e -> e[which]).sum();
        }
    }

    private GptqQuantizer() {}

    static Result quantize(
            DecoderModel model, NDManager manager, List<int[]> samples, QuantSettings s, ProgressReporter progress)
            throws Exception {
        Map<String, GroupCodes> codes = new LinkedHashMap<>();
        Map<String, double[]> errors = new LinkedHashMap<>();
        int layers = model.layerCount();
        progress.begin("gptq", layers);
        try (LayerRunner runner = new LayerRunner(model, manager, samples)) {
            for (int layer = 0; layer < layers; layer++) {
                double gptqError = 0;
                double rtnError = 0;
                for (List<Linear> group : DecoderLinears.inputGroups(model, runner, layer)) {
                    Map<Linear, Hessian> hessians = new LinkedHashMap<>();
                    List<AutoCloseable> handles = new ArrayList<>();
                    try {
                        for (Linear l : group) {
                            Hessian h = new Hessian(manager, l.inFeatures());
                            hessians.put(l, h);
                            handles.add(l.observeInputs(h::add));
                        }
                        runner.run(layer);
                    } finally {
                        for (AutoCloseable h : handles) {
                            h.close();
                        }
                    }
                    for (Map.Entry<Linear, Hessian> e : hessians.entrySet()) {
                        Linear linear = e.getKey();
                        try (NDScope scope = new NDScope();
                                Hessian hessian = e.getValue()) {
                            scope.suppressNotUsedWarning();
                            NDArray w = DecoderLinears.weight(linear); // (out, in)
                            NDArray h = hessian.value(); // (in, in) or null
                            GroupCodes q =
                                    Gptq.quantize(w, h, s.bits(), s.groupSize(), s.symmetric(), s.descAct(), s.damp());
                            GroupCodes rtn = Gptq.roundToNearest(w, s.bits(), s.groupSize(), s.symmetric());
                            double[] err = {
                                reconstructionError(w, q.dequantized(), h), reconstructionError(w, rtn.dequantized(), h)
                            };
                            errors.put(linear.name(), err);
                            gptqError += err[0];
                            rtnError += err[1];
                            codes.put(linear.name(), q);
                            DecoderLinears.setWeight(linear, q.dequantized());
                        }
                    }
                }
                runner.advance(layer);
                progress.step(layer + 1, Map.of("gptq_error", gptqError, "rtn_error", rtnError));
            }
        }
        return new Result(codes, errors);
    }

    /** {@code tr((W - Q) H (W - Q)ᵀ)}: the squared output error over the calibration inputs (H = 2XXᵀ/n). */
    static double reconstructionError(NDArray w, float[] quantized, NDArray h) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray d = w.sub(w.getManager().create(quantized, w.getShape())); // (out, in)
            if (h == null) {
                return d.mul(d).sum().toType(DataType.FLOAT64, false).getDouble();
            }
            return d.matMul(h).mul(d).sum().toType(DataType.FLOAT64, false).getDouble();
        }
    }

    /** {@code 2XXᵀ/n} summed over every row of every input a linear layer is fed. */
    static final class Hessian implements AutoCloseable {
        private final NDArray sum;
        private long rows;

        Hessian(NDManager manager, long in) {
            sum = manager.zeros(new ai.djl.ndarray.types.Shape(in, in), DataType.FLOAT32);
        }

        /** @param x (..., in) */
        void add(NDArray x) {
            long in = sum.getShape().get(0);
            NDArray flat = x.toType(DataType.FLOAT32, false).reshape(-1, in); // (n, in)
            sum.addi(flat.transpose().matMul(flat)); // (in, in)
            rows += flat.getShape().get(0);
        }

        /** The Hessian, or null when no input arrived (an expert no token was routed to). */
        NDArray value() {
            return rows == 0 ? null : Scalars.mul(sum, 2.0f / rows);
        }

        @Override
        public void close() {
            sum.close();
        }
    }
}
