package dev.osprey.model.load;

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
 * The model a job that works on one finished model (an export, an evaluation) names in its arguments, by ms-swift's
 * names: {@code --model} (by default the base model an adapter names in its adapter_config.json, as {@code swift
 * export --adapters DIR} finds it), {@code --adapters}, {@code --model_type}, {@code --use_hf}, {@code
 * --model_revision}, {@code --torch_dtype}, {@code --template}; the model is loaded on the job's device and
 * downloads report to the job's progress.
 */
public final class ModelArguments {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADAPTER_CONFIG = "adapter_config.json";

    private ModelArguments() {}

    /**
     * The model to load for {@code job}, its adapters merged into the weights when {@code merge}, else attached
     * unmerged as {@code adapter0}, {@code adapter1}, ...
     *
     * @throws IllegalArgumentException naming the argument or file at fault
     */
    public static ModelRequest request(JobContext job, boolean merge) throws IOException {
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
                .withTemplate(args.getString("template").orElse(null))
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
}
