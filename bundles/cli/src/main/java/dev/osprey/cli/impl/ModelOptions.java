package dev.osprey.cli.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.ModelLocator;
import dev.osprey.hub.TerminalProgressBar;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
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
        HubOptions options = HubOptions.fromEnvironment(useHf);
        if (revision != null) {
            options = options.withRevision(revision);
        }
        return new ModelLocator(options, new TerminalProgressBar()).locate(model);
    }

    DataType dataType() {
        return switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "auto", "bfloat16", "bf16" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32 or float16, was '" + dtype + "'");
        };
    }

    /**
     * Loads the model. The architecture's handle stays open in {@code handles} while the model is used,
     * since the model's classes come from the architecture's bundle.
     */
    HfModel load(ExtensionRegistry registry, ModelRegistry models, NDManager manager, List<AutoCloseable> handles)
            throws IOException {
        Path folder = folder();
        return ModelLoader.load(folder, config -> {
            ExtensionHandle<ModelArchitecture> handle = architecture(registry, models, config);
            handles.add(handle);
            return handle.get();
        }, manager, dataType());
    }

    ExtensionHandle<ModelArchitecture> architecture(ExtensionRegistry registry, ModelRegistry models, ModelConfig config) {
        if (modelType != null) {
            return registry.require(ModelArchitecture.class, modelType);
        }
        String type = config.getString("model_type")
                // a config without model_type: the registry entry of the id the user gave
                .or(() -> models.find(model).map(ModelEntry::modelType)).orElse("");
        var byType = registry.acquire(ModelArchitecture.class, type);
        if (byType.isPresent()) {
            return byType.get();
        }
        String arch = config.architecture().orElse("");
        for (ExtensionInfo info : registry.list(ExtensionKind.MODEL_ARCHITECTURE)) {
            var handle = registry.acquire(ModelArchitecture.class, info.name());
            if (handle.isPresent() && handle.get().get().architectures().contains(arch)) {
                return handle.get();
            }
            handle.ifPresent(ExtensionHandle::close);
        }
        String installed = registry.list(ExtensionKind.MODEL_ARCHITECTURE).stream().map(ExtensionInfo::name).sorted()
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException(config.source() + ": no installed architecture runs model_type '" + type
                + "'" + (arch.isEmpty() ? "" : " (" + arch + ")") + "; installed: " + (installed.isEmpty() ? "none" : installed)
                + ". Architectures are plugin bundles: see docs/writing-a-plugin.md, or pass --model_type.");
    }
}
