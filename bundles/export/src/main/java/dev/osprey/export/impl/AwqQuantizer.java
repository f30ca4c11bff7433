package dev.osprey.export.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Linear;
import dev.osprey.model.nn.Param;

/**
 * AWQ (Lin et al. 2023, as AutoAWQ's {@code AwqQuantizer}) over a whole decoder, layer by layer. For each group of
 * linears sharing an input whose scale can be folded into the operation before it (the input norm for q k v, the
 * post-attention norm for gate up, v for o when their shapes match, up for down), a grid over α of the per-channel
 * scale {@code s = mean|x|^α} (normalised by {@code sqrt(max·min)}) is searched: the group's weights become {@code
 * Q(W·s)/s} and the one with the smallest mean squared error of the decoder layer's output over the calibration
 * samples wins. It is folded in ({@code W·s}, the previous operation divided by {@code s}), then every linear of the
 * layer is quantized group-wise with a zero point; the samples move on through the quantized layer.
 */
final class AwqQuantizer {

    /** Families whose norms compute {@code weight · normalized(x)}, so a scale folds into the weight. */
    static final Set<String> FOLDABLE = Set.of("llama", "mistral", "qwen2", "qwen3");

    /**
     * The codes of every quantized linear by module name, and per searched group (named by its first linear) the
     * layer output error at α = 0 (no scaling), at the chosen α, and that α: {@code {plain, chosen, alpha}}.
     */
    record Result(Map<String, GroupCodes> codes, Map<String, double[]> searches) {}

    private AwqQuantizer() {}

    static Result quantize(
            DecoderModel model, NDManager manager, List<int[]> samples, QuantSettings s, ProgressReporter progress)
            throws Exception {
        String type = model.config().modelType();
        if (!FOLDABLE.contains(type)) {
            throw new IllegalArgumentException("--quant_method awq folds its scales into the norms of " + FOLDABLE
                    + " models; " + type + " is not one of them (use --quant_method gptq)");
        }
        Map<String, GroupCodes> codes = new LinkedHashMap<>();
        Map<String, double[]> searches = new LinkedHashMap<>();
        int layers = model.layerCount();
        progress.begin("awq", layers);
        try (LayerRunner runner = new LayerRunner(model, manager, samples)) {
            for (int layer = 0; layer < layers; layer++) {
                List<NDArray> reference = runner.outputs(layer);
                List<List<Linear>> groups = DecoderLinears.inputGroups(model, runner, layer);
                Map<List<Linear>, NDArray> inputMeans = inputMeans(manager, runner, layer, groups);
                double chosen = 0;
                for (List<Linear> group : groups) {
                    Fold fold = fold(model, layer, group);
                    if (fold == null) {
                        continue; // nothing before it can absorb a scale (o_proj under grouped-query attention)
                    }
                    double[] search = search(runner, layer, reference, group, inputMeans.get(group), s);
                    searches.put(group.get(0).name(), search);
                    chosen += search[1];
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        NDArray scales = scales(inputMeans.get(group), search[2]); // (in)
                        fold.apply(scales);
                        for (Linear l : group) {
                            DecoderLinears.setWeight(l, DecoderLinears.weight(l).mul(scales)); // (out, in)·s
                        }
                    }
                }
                for (List<Linear> group : groups) {
                    for (Linear l : group) {
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            GroupCodes q = AwqGrid.quantize(DecoderLinears.weight(l), s.bits(), s.groupSize());
                            codes.put(l.name(), q);
                            DecoderLinears.setWeight(l, q.dequantized());
                        }
                    }
                }
                inputMeans.values().forEach(NDArray::close);
                reference.forEach(NDArray::close);
                runner.advance(layer);
                progress.step(layer + 1, Map.of("awq_error", chosen));
            }
        }
        return new Result(codes, searches);
    }

    /** mean |x| per input channel of each group: (in). */
    private static Map<List<Linear>, NDArray> inputMeans(
            NDManager manager, LayerRunner runner, int layer, List<List<Linear>> groups) throws Exception {
        Map<List<Linear>, NDArray> sums = new LinkedHashMap<>();
        long[] rows = new long[groups.size()];
        List<AutoCloseable> handles = new ArrayList<>();
        try {
            for (int g = 0; g < groups.size(); g++) {
                Linear first = groups.get(g).get(0);
                NDArray sum = manager.zeros(new ai.djl.ndarray.types.Shape(first.inFeatures()), DataType.FLOAT32);
                sums.put(groups.get(g), sum);
                int index = g;
                handles.add(first.observeInputs(x -> {
                    NDArray flat = x.toType(DataType.FLOAT32, false).reshape(-1, first.inFeatures()); // (n, in)
                    sum.addi(flat.abs().sum(new int[] {0}));
                    rows[index] += flat.getShape().get(0);
                }));
            }
            runner.run(layer);
        } finally {
            for (AutoCloseable h : handles) {
                h.close();
            }
        }
        int g = 0;
        for (NDArray sum : sums.values()) {
            try (NDArray count = Scalars.of(sum, Math.max(1, rows[g++]))) {
                sum.divi(count); // in place: the map holds these arrays
            }
        }
        return sums;
    }

    /** AutoAWQ's scale for one α: {@code mean|x|^α} clamped at 1e-4, divided by {@code sqrt(max·min)}. */
    static NDArray scales(NDArray inputMean, double alpha) {
        NDArray s = Scalars.maximum(Scalars.pow(inputMean, alpha), 1e-4f); // (in)
        double norm = Math.sqrt(s.max().getFloat() * (double) s.min().getFloat());
        return Scalars.div(s, norm);
    }

    /** {@code {error at α = 0, smallest error, its α}} over the grid α = 0, 1/n, ..., (n-1)/n. */
    private static double[] search(
            LayerRunner runner,
            int layer,
            List<NDArray> reference,
            List<Linear> group,
            NDArray inputMean,
            QuantSettings s) {
        List<NDArray> originals = new ArrayList<>();
        for (Linear l : group) {
            NDArray w = DecoderLinears.weight(l);
            NDScope.unregister(w);
            originals.add(w);
        }
        double plain = Double.NaN;
        double best = Double.POSITIVE_INFINITY;
        double bestAlpha = 0;
        try {
            for (int step = 0; step < s.awqGrid(); step++) {
                double alpha = step / (double) s.awqGrid();
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray scales = scales(inputMean, alpha); // (in)
                    for (int i = 0; i < group.size(); i++) {
                        NDArray scaled = AwqGrid.fakeQuantize(originals.get(i).mul(scales), s.bits(), s.groupSize());
                        DecoderLinears.setWeight(group.get(i), scaled.div(scales)); // Q(W·s)/s: (out, in)
                        scaled.close();
                    }
                    double error = runner.outputError(layer, reference);
                    if (step == 0) {
                        plain = error;
                    }
                    if (error < best) {
                        best = error;
                        bestAlpha = alpha;
                    }
                }
            }
        } finally {
            for (int i = 0; i < group.size(); i++) {
                DecoderLinears.setWeight(group.get(i), originals.get(i));
                originals.get(i).close();
            }
        }
        return new double[] {plain, best, bestAlpha};
    }

    /** Where a group's input scale goes: divided out of the operation that produces the group's input. */
    private interface Fold {
        void apply(NDArray scales);
    }

    private static Fold fold(DecoderModel model, int layer, List<Linear> group) {
        String prefix = model.layout().keys().layers() + "." + layer + ".";
        String first = group.get(0).name();
        String last = first.substring(first.lastIndexOf('.') + 1);
        switch (last) {
            case "q_proj", "k_proj", "v_proj" -> {
                return norm(model, prefix + model.layout().keys().inputNorm() + ".weight");
            }
            case "gate_proj", "up_proj" -> {
                return norm(model, prefix + model.layout().keys().postAttentionNorm() + ".weight");
            }
            case "o_proj" -> {
                return linear(model, first.replace("o_proj", "v_proj"), group.get(0));
            }
            case "down_proj" -> {
                return linear(model, first.replace("down_proj", "up_proj"), group.get(0));
            }
            default -> {
                return null;
            }
        }
    }

    private static Fold norm(DecoderModel model, String name) {
        Param norm = model.params().get(name);
        if (norm == null) {
            return null;
        }
        return scales -> {
            NDArray w = norm.get();
            NDArray scaled = w.toType(DataType.FLOAT32, false).div(scales).toType(w.getDataType(), false);
            NDScope.unregister(scaled);
            scaled.attach(w.getManager());
            norm.set(scaled);
        };
    }

    /** The previous linear's output rows (and bias) divided by the scales, when its outputs are the group's inputs. */
    private static Fold linear(DecoderModel model, String previousName, Linear next) {
        Linear previous = model.adaptableLinears().stream()
                .filter(l -> l.name().equals(previousName))
                .findFirst()
                .orElse(null);
        if (previous == null
                || previous.outFeatures() != next.inFeatures()
                || previous.inFeatures() != next.outFeatures()) {
            return null; // AutoAWQ scales v into o only when their shapes match (no grouped-query attention)
        }
        Param bias = model.params().get(previousName + ".bias");
        return scales -> {
            DecoderLinears.setWeight(previous, DecoderLinears.weight(previous).div(scales.expandDims(1))); // (out, in)
            if (bias != null) {
                NDArray b = bias.get();
                NDArray scaled = b.toType(DataType.FLOAT32, false).div(scales).toType(b.getDataType(), false);
                NDScope.unregister(scaled);
                scaled.attach(b.getManager());
                bias.set(scaled);
            }
        };
    }
}
