package dev.osprey.export.impl;

import java.nio.file.Path;
import java.util.List;

import dev.osprey.api.dataset.DatasetService;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelArguments;

/**
 * What the quantizing exporters share: load the model (adapters merged), take the calibration samples when the
 * method needs them, quantize, and write the Hugging Face folder with its {@code quantization_config}.
 */
abstract class QuantizingExporter implements Exporter {

    private final ModelService models;
    private final DatasetService datasets;

    QuantizingExporter(ModelService models, DatasetService datasets) {
        this.models = models;
        this.datasets = datasets;
    }

    /** Quantizes {@code model} in place (its weights become what the checkpoint computes) into a checkpoint. */
    abstract QuantizedCheckpoint quantize(
            JobContext job, HfModel hf, DecoderModel model, List<int[]> samples, QuantSettings s) throws Exception;

    /** Whether the method calibrates on {@code --dataset}. */
    abstract boolean calibrates();

    @Override
    public Path export(JobContext job) throws Exception {
        QuantSettings settings = QuantSettings.of(name(), job.arguments());
        ModelRequest request = ModelArguments.request(job, true);
        Path target = ExportRequest.target(job);
        try (LoadedModel model = models.load(request)) {
            HfModel hf = model.unwrap(HfModel.class)
                    .orElseThrow(() -> new IllegalStateException(
                            "the model service returned no Hugging Face model for " + request.model()));
            if (!(hf.model() instanceof DecoderModel decoder)) {
                throw new IllegalArgumentException("--quant_method " + name() + " quantizes decoder language models; "
                        + request.model() + " (" + hf.model().config().modelType() + ") is not one");
            }
            List<int[]> samples = calibrates()
                    ? Calibration.samples(datasets, job.arguments(), model.prompts(), settings)
                    : List.of();
            job.progress()
                    .message("quantizing " + request.model() + " with " + name() + " ("
                            + settings.bits() + " bits"
                            + (calibrates() ? ", " + samples.size() + " calibration samples" : "")
                            + ")");
            QuantizedCheckpoint checkpoint = quantize(job, hf, decoder, samples, settings);
            checkpoint.write(target, hf, settings.quantizationConfig(), settings.saveDtype());
        }
        job.progress().message("wrote " + target);
        return target;
    }
}
