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
import dev.osprey.model.load.Folders;
import dev.osprey.model.load.ModelArguments;

/**
 * {@code ollama}: as {@code swift export --to_ollama true}, writes Ollama's {@code Modelfile} ({@link
 * OllamaModelfile}) into the output folder, its {@code FROM} the {@code --gguf_file} given or else the model's folder
 * (Ollama imports Hugging Face folders of the architectures it knows). A GGUF file and its Modelfile together come
 * from {@code --quant_method gguf --to_ollama true}. Adapters must be merged first: Ollama's {@code ADAPTER} takes
 * its own formats.
 */
@Component(service = Exporter.class)
public class OllamaExporter implements Exporter {

    static final String NAME = "ollama";
    static final String MODELFILE = "Modelfile";

    private final ModelService models;

    @Activate
    public OllamaExporter(@Reference ModelService models) {
        this.models = models;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "write an Ollama Modelfile (template, stop strings, sampling defaults) for a model or a GGUF file";
    }

    @Override
    public Path export(JobContext job) throws Exception {
        ModelRequest request = ModelArguments.request(job, false);
        if (!request.adapters().isEmpty()) {
            throw new IllegalArgumentException("--to_ollama writes a Modelfile for a whole model: merge the adapters"
                    + " first (--merge_lora true), or export a GGUF file with them (--quant_method gguf --to_ollama"
                    + " true)");
        }
        Path target = ExportRequest.target(job);
        String from;
        try (LoadedModel model = models.load(request)) {
            if (job.arguments().has("gguf_file")) {
                Path gguf = Path.of(job.arguments().getString("gguf_file", "")).toAbsolutePath();
                if (!Files.isRegularFile(gguf)) {
                    throw new IllegalArgumentException("--gguf_file " + gguf + " is not a file");
                }
                from = gguf.toString();
            } else {
                from = model.folder().toAbsolutePath().normalize().toString();
            }
            String modelfile = OllamaModelfile.of(from, model);
            Folders.writeAtomically(target, dir -> Files.writeString(dir.resolve(MODELFILE), modelfile));
        }
        Path written = target.resolve(MODELFILE);
        job.progress().message("wrote " + written + " (FROM " + from + "); then: ollama create NAME -f " + written);
        return written;
    }
}
