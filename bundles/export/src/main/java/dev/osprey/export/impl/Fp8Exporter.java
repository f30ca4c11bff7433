package dev.osprey.export.impl;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.Linear;

/**
 * {@code fp8}: every decoder-layer linear in FP8 E4M3 (no calibration: dynamic activation scales). {@code
 * --fp8_scheme block} (default) writes transformers' fine-grained FP8 ({@code weight_scale_inv} per block of {@code
 * --group_size}² values, {@code weight_block_size}), as DeepSeek-V3 and Qwen3-FP8 ship and transformers, vLLM and
 * SGLang read; {@code channel} writes FBGEMM's per-channel FP8 ({@code weight_scale} per output row, {@code
 * quant_method fbgemm_fp8}), as Meta's FP8 Llama checkpoints ship and vLLM reads.
 */
@Component(service = Exporter.class)
public class Fp8Exporter extends QuantizingExporter {

    static final String NAME = QuantSettings.FP8;
    /** transformers' {@code FbgemmFp8Config} default bound on dynamic activation scales. */
    static final float ACTIVATION_SCALE_UB = 1200f;

    @Activate
    public Fp8Exporter(@Reference ModelService models, @Reference DatasetService datasets) {
        super(models, datasets);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "write the linear layers in FP8 E4M3, per block (fine-grained FP8) or per channel (fbgemm_fp8)";
    }

    @Override
    boolean calibrates() {
        return false;
    }

    @Override
    QuantizedCheckpoint quantize(JobContext job, HfModel hf, DecoderModel model, List<int[]> samples, QuantSettings s) {
        return quantize(model, s, job.progress());
    }

    static QuantizedCheckpoint quantize(DecoderModel model, QuantSettings s, ProgressReporter progress) {
        QuantizedCheckpoint checkpoint = new QuantizedCheckpoint();
        int layers = model.layerCount();
        progress.begin("fp8", layers);
        boolean block = s.fp8Scheme().equals("block");
        for (int layer = 0; layer < layers; layer++) {
            for (Linear l : DecoderLinears.ofLayer(model, layer)) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray w = DecoderLinears.weight(l); // (out, in)
                    Fp8Weight q = block
                            ? Fp8Weight.quantize(w, s.groupSize(), s.groupSize())
                            : Fp8Weight.quantize(w, 1, Math.toIntExact(l.inFeatures()));
                    if (block) {
                        checkpoint.putFp8Blocks(l.name(), q);
                    } else {
                        checkpoint.putFp8Channels(l.name(), q, ACTIVATION_SCALE_UB);
                    }
                    DecoderLinears.setWeight(l, q.dequantized());
                }
            }
            progress.step(layer + 1, Map.of());
        }
        return checkpoint;
    }
}
