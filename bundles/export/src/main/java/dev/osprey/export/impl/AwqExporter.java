package dev.osprey.export.impl;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;

/**
 * {@code awq}: AWQ ({@link AwqQuantizer}) calibrated on {@code --dataset}, written in AutoAWQ's GEMM layout ({@code
 * qweight}, {@code qzeros} in AWQ's pack order, {@code scales}) with {@code quantization_config} {@code {quant_method:
 * awq, version: gemm, zero_point: true}}, which transformers (with autoawq) and vLLM load. Arguments: those of
 * {@code ModelArguments}, {@code --quant_bits 4}, {@code --group_size} (128), {@code --awq_grid} (20 values of α),
 * {@code --quant_n_samples}, {@code --max_length}, {@code --save_dtype}.
 */
@Component(service = Exporter.class)
public class AwqExporter extends QuantizingExporter {

    static final String NAME = QuantSettings.AWQ;

    @Activate
    public AwqExporter(@Reference ModelService models, @Reference DatasetService datasets) {
        super(models, datasets);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "AWQ-quantize a model on calibration data (activation-aware scales, int4 groups) into AutoAWQ's GEMM layout";
    }

    @Override
    boolean calibrates() {
        return true;
    }

    @Override
    QuantizedCheckpoint quantize(JobContext job, HfModel hf, DecoderModel model, List<int[]> samples, QuantSettings s)
            throws Exception {
        AwqQuantizer.Result result = AwqQuantizer.quantize(model, model.params().manager(), samples, s, job.progress());
        double plain =
                result.searches().values().stream().mapToDouble(e -> e[0]).sum();
        double chosen =
                result.searches().values().stream().mapToDouble(e -> e[1]).sum();
        job.progress()
                .message(String.format(
                        "layer output error of the searched groups: chosen scales %.6g, no scaling (α = 0) %.6g",
                        chosen, plain));
        QuantizedCheckpoint checkpoint = new QuantizedCheckpoint();
        result.codes().forEach(checkpoint::putAwq);
        return checkpoint;
    }
}
