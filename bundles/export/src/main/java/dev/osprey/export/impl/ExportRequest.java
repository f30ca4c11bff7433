package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.job.Arguments;
import dev.osprey.api.job.JobContext;
import dev.osprey.api.model.ModelRequest;

/**
 * What every exporter reads from a job's arguments, by ms-swift's names: {@code --model} (by default the base
 * model an adapter names in its adapter_config.json, as {@code swift export --adapters DIR} finds it),
 * {@code --adapters}, {@code --model_type}, {@code --use_hf}, {@code --model_revision}, {@code --torch_dtype}; the
 * model is loaded on the job's device and downloads report to the job's progress.
 */
final class ExportRequest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADAPTER_CONFIG = "adapter_config.json";

    private ExportRequest() {}

    /**
     * The model to load for {@code job}, its adapters merged when {@code merge}.
     *
     * @throws IllegalArgumentException naming the argument or file at fault
     */
    static ModelRequest of(JobContext job, boolean merge) throws IOException {
        Arguments args = job.arguments();
        List<Path> adapters = args.getList("adapters").stream()
                .flatMap(a -> List.of(a.split(",")).stream())
                .map(String::trim)
                .filter(a -> !a.isEmpty())
                .map(Path::of)
                .toList();
        String model = args.getString("model")
                .or(() -> args.getString("model_name_or_path"))
                .orElse(null);
        if (model == null) {
            if (adapters.isEmpty()) {
                throw new IllegalArgumentException("--model is missing: give the base model, or --adapters DIR whose "
                        + ADAPTER_CONFIG + " names it");
            }
            model = baseModelOf(adapters.get(0));
        }
        ModelRequest request = ModelRequest.of(model)
                .withModelType(args.getString("model_type").orElse(null))
                .withUseHf(args.getBoolean("use_hf", false))
                .withRevision(args.getString("model_revision").orElse(null))
                .withTorchDtype(args.getString("torch_dtype", ModelRequest.DEFAULT_DTYPE))
                .withDevice(job.device())
                .withProgress(job.progress())
                .withMergeAdapters(merge);
        for (int i = 0; i < adapters.size(); i++) {
            request = request.withAdapter("adapter" + i, adapters.get(i));
        }
        return request;
    }

    /** {@code base_model_name_or_path} of a PEFT adapter folder. */
    static String baseModelOf(Path adapter) throws IOException {
        Path file = adapter.resolve(ADAPTER_CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    "--adapters " + adapter + " has no " + ADAPTER_CONFIG + ", so it is not a PEFT adapter folder");
        }
        JsonNode base = JSON.readTree(file.toFile()).path("base_model_name_or_path");
        if (!base.isTextual() || base.asText().isBlank()) {
            throw new IllegalArgumentException(
                    file + " does not name its base model (base_model_name_or_path): pass --model");
        }
        return base.asText();
    }

    /**
     * The folder to write: the job's output folder, which must hold nothing yet (an export never mixes with or
     * overwrites other files).
     */
    static Path target(JobContext job) throws IOException {
        Path out = job.outputDir();
        if (Files.isDirectory(out)) {
            try (var files = Files.list(out)) {
                if (files.findAny().isPresent()) {
                    throw new IllegalArgumentException("--output_dir " + out + " is not empty; give a new folder");
                }
            }
        }
        return out;
    }
}
