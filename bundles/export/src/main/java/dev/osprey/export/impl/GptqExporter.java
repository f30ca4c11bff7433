package dev.osprey.export.impl;

import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;

/**
 * {@code gptq}: GPTQ ({@link GptqQuantizer}) calibrated on {@code --dataset}, written in AutoGPTQ's layout
 * ({@code qweight}, {@code qzeros}, {@code scales}, {@code g_idx}; {@code checkpoint_format gptq}) with its {@code
 * quantization_config}, which transformers (with gptqmodel), vLLM and AutoGPTQ load. Arguments: those of {@code
 * ModelArguments}, {@code --quant_bits 4|8}, {@code --group_size} (128; -1 per channel), {@code --desc_act}
 * (true), {@code --sym} (true), {@code --damp_percent} (0.01), {@code --quant_n_samples} (256), {@code
 * --max_length} (2048), {@code --save_dtype} of the parameters left dense.
 */
@Component(service = Exporter.class)
public class GptqExporter extends QuantizingExporter {

    static final String NAME = QuantSettings.GPTQ;

    @Activate
    public GptqExporter(@Reference ModelService models, @Reference DatasetService datasets) {
        super(models, datasets);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "GPTQ-quantize a model on calibration data (4 or 8 bits, groups, act-order) into AutoGPTQ's layout";
    }

    @Override
    boolean calibrates() {
        return true;
    }

    @Override
    QuantizedCheckpoint quantize(JobContext job, HfModel hf, DecoderModel model, List<int[]> samples, QuantSettings s)
            throws Exception {
        GptqQuantizer.Result result =
                GptqQuantizer.quantize(model, model.params().manager(), samples, s, job.progress());
        job.progress()
                .message(String.format(
                        "layer reconstruction error tr(ΔW H ΔWᵀ): gptq %.6g, round-to-nearest %.6g",
                        result.total(0), result.total(1)));
        return checkpoint(result.codes());
    }

    static QuantizedCheckpoint checkpoint(Map<String, GroupCodes> codes) {
        QuantizedCheckpoint checkpoint = new QuantizedCheckpoint();
        codes.forEach(checkpoint::putGptq);
        return checkpoint;
    }

    /** For tests: quantize without a job. */
    static GptqQuantizer.Result quantize(DecoderModel model, List<int[]> samples, QuantSettings s, ProgressReporter p)
            throws Exception {
        return GptqQuantizer.quantize(model, model.params().manager(), samples, s, p);
    }
}
