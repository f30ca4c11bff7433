package dev.osprey.export.impl;

import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.export.Exporter;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelArguments;

/**
 * {@code merge_lora}: as ms-swift's {@code swift export --adapters DIR --merge_lora true}, loads the base model with
 * its PEFT adapters merged into the weights (in order, each by PEFT's formula; a QLoRA adapter into the dense base)
 * and writes a Hugging Face folder with the base's tokenizer and generation files, assembled beside the job's
 * output folder and renamed into place. Arguments: those of {@link ModelArguments}, and {@code --save_dtype}
 * (F32, F16 or BF16; default F32); {@code --to_ollama true} adds Ollama's {@code Modelfile} to the folder.
 */
@Component(service = Exporter.class)
public class MergeLoraExporter implements Exporter {

    static final String NAME = "merge_lora";

    private final ModelService models;

    @Activate
    public MergeLoraExporter(@Reference ModelService models) {
        this.models = models;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "merge LoRA adapters into the base model and write a Hugging Face folder";
    }

    @Override
    public Path export(JobContext job) throws Exception {
        ModelRequest request = ModelArguments.request(job, true);
        if (request.adapters().isEmpty()) {
            throw new IllegalArgumentException("merge_lora needs --adapters DIR, the PEFT adapter(s) to merge");
        }
        String saveDtype = job.arguments().getString("save_dtype", "F32");
        Path target = ExportRequest.target(job);
        job.progress().message("merging " + request.adapters().values() + " into " + request.model());
        try (LoadedModel model = models.load(request)) {
            HfModel hf = model.unwrap(HfModel.class)
                    .orElseThrow(() -> new IllegalStateException(
                            "the model service returned no Hugging Face model for " + request.model()));
            LoraMerge.save(hf, target, saveDtype);
            if (job.arguments().getBoolean("to_ollama", false)) {
                Files.writeString(target.resolve(OllamaExporter.MODELFILE), OllamaModelfile.of(".", model));
            }
        }
        job.progress().message("wrote " + target);
        return target;
    }
}
