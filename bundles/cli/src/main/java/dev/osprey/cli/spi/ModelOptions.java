package dev.osprey.cli.spi;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.osprey.api.model.ModelRequest;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options that pick a model, with ms-swift's names, as a {@link ModelRequest} of the platform's model
 * service (a local folder, the Hugging Face or ModelScope cache, or a download; the architecture matched as
 * ms-swift does). A picocli mixin, shared by the built-in commands and contributed ones.
 */
public class ModelOptions {

    @Option(
            names = {"--model", "--model_name_or_path"},
            required = true,
            paramLabel = "MODEL",
            description = "a model folder, or a hub id such as Qwen/Qwen3-0.6B")
    String model;

    @Mixin
    Loading loading = new Loading();

    /** How to find and load a model once it is named: shared with commands whose {@code --model} is optional. */
    public static class Loading {

        @Option(
                names = "--model_type",
                paramLabel = "TYPE",
                description = "the architecture to use, overriding config.json")
        String modelType;

        @Option(
                names = "--use_hf",
                arity = "0..1",
                fallbackValue = "true",
                description = "use the Hugging Face hub, to download and to push (default: ModelScope, like ms-swift);"
                        + " --use_hf or --use_hf true|false")
        boolean useHf;

        @Option(names = "--model_revision", paramLabel = "REV", description = "hub revision (branch, tag or commit)")
        String revision;

        @Option(
                names = "--torch_dtype",
                paramLabel = "TYPE",
                defaultValue = "float32",
                description = "float32 or float16 (bfloat16 checkpoints are widened; default: ${DEFAULT-VALUE})")
        String dtype;

        /** These options by ms-swift name, for a job's arguments. */
        public Map<String, Object> arguments() {
            Map<String, Object> args = new LinkedHashMap<>();
            if (modelType != null) {
                args.put("model_type", modelType);
            }
            args.put("use_hf", useHf);
            if (revision != null) {
                args.put("model_revision", revision);
            }
            args.put("torch_dtype", dtype);
            return args;
        }

        /** A request for {@code model} with these options. */
        public ModelRequest request(String model) {
            return ModelRequest.of(model)
                    .withModelType(modelType)
                    .withUseHf(useHf)
                    .withRevision(revision)
                    .withTorchDtype(dtype);
        }
    }

    /** What these options ask the model service for. */
    public ModelRequest request() {
        return loading.request(model);
    }
}
