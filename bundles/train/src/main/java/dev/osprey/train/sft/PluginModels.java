package dev.osprey.train.sft;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.DownloadProgress;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.ModelLocator;
import dev.osprey.model.load.Architectures;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.nn.QuantSpec;

/**
 * Models and chat templates from the running platform, for a training job inside Osprey (the command
 * line uses it, and so can a bundle that calls the Java API): folders from the local disk, the Hugging
 * Face or ModelScope cache, or a download; architectures ({@link Architectures}) and templates from the
 * installed plugins. Holds the extension handles it
 * acquired until closed, since a model's classes come from its architecture's bundle.
 */
public final class PluginModels implements ModelProvider {

    private final ExtensionRegistry extensions;
    private final ModelRegistry registry;
    private final DownloadProgress progress;
    private final List<ExtensionHandle<?>> handles = new ArrayList<>();

    /** @param progress shows downloads, or null for none */
    public PluginModels(ExtensionRegistry extensions, ModelRegistry registry, DownloadProgress progress) {
        this.extensions = extensions;
        this.registry = registry;
        this.progress = progress;
    }

    @Override
    public HfModel load(SftArguments args, NDManager manager) throws IOException {
        // QLoRA: quantized while loading, one dense weight in memory at a time
        QuantSpec quantization = args.quantBits() > 0 && args.trainType().equals("lora") ? QuantSpec.of(args.quantBits(), args.quantType())
                : null;
        return load(args.model(), args.modelType(), args.useHf(), args.modelRevision(), args.torchDtype(), quantization, manager);
    }

    /**
     * Loads a model by id or folder; the architecture's handle is held until {@link #close()}.
     *
     * @param quantization how to store the decoder's linear layers, or null for dense
     */
    public HfModel load(String model, String modelType, boolean useHf, String revision, String torchDtype, QuantSpec quantization,
            NDManager manager) throws IOException {
        Path folder = locate(model, useHf, revision, progress);
        return ModelLoader.load(folder, config -> {
            ExtensionHandle<ModelArchitecture> handle = Architectures.find(extensions, registry, model, modelType, config);
            handles.add(handle);
            return handle.get();
        }, manager, dataType(torchDtype), quantization);
    }

    @Override
    public ChatTemplate template(String name) {
        ExtensionHandle<ChatTemplate> handle = extensions.require(ChatTemplate.class, name);
        handles.add(handle);
        return handle.get();
    }

    @Override
    public void close() {
        handles.forEach(ExtensionHandle::close);
        handles.clear();
    }

    /** The model folder, found locally or downloaded (ModelScope by default, Hugging Face with {@code useHf}). */
    public static Path locate(String model, boolean useHf, String revision, DownloadProgress progress) throws IOException {
        HubOptions options = HubOptions.fromEnvironment(useHf);
        if (revision != null) {
            options = options.withRevision(revision);
        }
        return (progress == null ? new ModelLocator(options) : new ModelLocator(options, progress)).locate(model);
    }

    /** {@code --torch_dtype}: float32, or float16; bfloat16 checkpoints are widened to float32 on the CPU. */
    public static DataType dataType(String torchDtype) {
        return switch (torchDtype.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "auto", "bfloat16", "bf16" -> DataType.FLOAT32;
            case "float16", "fp16", "half" -> DataType.FLOAT16;
            default -> throw new IllegalArgumentException("--torch_dtype must be float32 or float16, was '" + torchDtype + "'");
        };
    }
}
