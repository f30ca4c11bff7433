package dev.osprey.devtools.impl;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.TerminalProgressBar;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.TorchDtype;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.train.sft.PluginModels;
import picocli.CommandLine.Option;

/**
 * The options that pick a model, with ms-swift's names, as a {@link ModelRequest} of the platform's model
 * service (a local folder, the Hugging Face or ModelScope cache, or a download; the architecture matched as
 * ms-swift does).
 */
public class ModelOptions {

    @Option(names = {"--model", "--model_name_or_path"}, required = true, paramLabel = "MODEL",
            description = "a model folder, or a hub id such as Qwen/Qwen3-0.6B")
    String model;

    @Option(names = "--model_type", paramLabel = "TYPE", description = "the architecture to use, overriding config.json")
    String modelType;

    @Option(names = "--use_hf", description = "download from the Hugging Face hub (default: ModelScope, like ms-swift)")
    boolean useHf;

    @Option(names = "--model_revision", paramLabel = "REV", description = "hub revision (branch, tag or commit)")
    String revision;

    @Option(names = "--torch_dtype", paramLabel = "TYPE", defaultValue = "float32",
            description = "float32 or float16 (bfloat16 checkpoints are widened; default: ${DEFAULT-VALUE})")
    String dtype;

    /** What these options ask the model service for (downloads drawn as a progress bar). */
    ModelRequest request() {
        return ModelRequest.of(model).withModelType(modelType).withUseHf(useHf).withRevision(revision).withTorchDtype(dtype);
    }

    DataType dataType() {
        return TorchDtype.of(dtype);
    }

    /**
     * Loads the model through the platform's model service, as the engine's own {@link HfModel}. What the load
     * holds (the architecture's handle) stays open in {@code handles} while the model is used, since the model's
     * classes come from the architecture's bundle.
     */
    HfModel load(ModelService service, ExtensionRegistry registry, NDManager manager, List<AutoCloseable> handles) throws IOException {
        return load(service, registry, manager, handles, null);
    }

    /** Loads the model, its decoder's linear layers quantized while loading when {@code quantization} is given. */
    HfModel load(ModelService service, ExtensionRegistry registry, NDManager manager, List<AutoCloseable> handles,
            QuantSpec quantization) throws IOException {
        PluginModels provider = new PluginModels(service, registry, new TerminalProgressBar());
        handles.add(provider);
        ModelRequest request = request();
        if (quantization != null) {
            request = request.withQuantization(quantization.method().bits(), quantization.method().name().toLowerCase(Locale.ROOT));
        }
        return provider.load(request, manager);
    }
}
