package dev.osprey.devtools.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.TerminalProgressBar;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.train.sft.PluginModels;
import picocli.CommandLine.Option;

/**
 * The options that pick a model, with ms-swift's names, and the loading they imply: a local folder,
 * the Hugging Face or ModelScope cache, or a download; then the architecture that runs it, matched as
 * ms-swift does (explicit {@code --model_type}, then config.json's {@code model_type}, then its
 * {@code architectures}).
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

    /** The model folder, found locally or downloaded. */
    Path folder() throws IOException {
        return PluginModels.locate(model, useHf, revision, new TerminalProgressBar());
    }

    DataType dataType() {
        return PluginModels.dataType(dtype);
    }

    /**
     * Loads the model. The architecture's handle stays open in {@code handles} while the model is used,
     * since the model's classes come from the architecture's bundle.
     */
    HfModel load(ExtensionRegistry registry, ModelRegistry models, NDManager manager, List<AutoCloseable> handles)
            throws IOException {
        return load(registry, models, manager, handles, null);
    }

    /** Loads the model, its decoder's linear layers quantized while loading when {@code quantization} is given. */
    HfModel load(ExtensionRegistry registry, ModelRegistry models, NDManager manager, List<AutoCloseable> handles,
            dev.osprey.model.nn.QuantSpec quantization) throws IOException {
        Path folder = folder();
        return ModelLoader.load(folder, config -> {
            ExtensionHandle<ModelArchitecture> handle = dev.osprey.model.load.Architectures.find(registry, models, model, modelType, config);
            handles.add(handle);
            return handle.get();
        }, manager, dataType(), quantization);
    }
}
