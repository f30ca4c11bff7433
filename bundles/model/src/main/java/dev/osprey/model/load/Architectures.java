package dev.osprey.model.load;

import java.util.stream.Collectors;

import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.plugin.ExtensionRegistry;

/**
 * Picks the installed architecture plugin that runs a model, as ms-swift does: the {@code model_type}
 * given, then config.json's {@code model_type}, then the registry entry of the model id, then
 * config.json's {@code architectures}. Shared by training, the command line and the inference backends.
 */
public final class Architectures {

    private Architectures() {}

    /**
     * @param modelId what the user gave ({@code --model}), for its registry entry
     * @param modelType {@code --model_type}, or null
     * @return a handle the caller keeps open while the model is in use (its classes come from that bundle)
     * @throws IllegalArgumentException naming the model type and the installed architectures
     */
    public static ExtensionHandle<ModelArchitecture> find(
            ExtensionRegistry extensions,
            ModelRegistry registry,
            String modelId,
            String modelType,
            ModelConfig config) {
        if (modelType != null) {
            return extensions.require(ModelArchitecture.class, modelType);
        }
        String type = config.getString("model_type")
                // a config without model_type: the registry entry of the id the user gave
                .or(() -> registry.find(modelId).map(ModelEntry::modelType))
                .orElse("");
        var byType = extensions.acquire(ModelArchitecture.class, type);
        if (byType.isPresent()) {
            return byType.get();
        }
        String arch = config.architecture().orElse("");
        for (ExtensionInfo info : extensions.list(ExtensionKind.MODEL_ARCHITECTURE)) {
            var handle = extensions.acquire(ModelArchitecture.class, info.name());
            if (handle.isPresent() && handle.get().get().architectures().contains(arch)) {
                return handle.get();
            }
            handle.ifPresent(ExtensionHandle::close);
        }
        String installed = extensions.list(ExtensionKind.MODEL_ARCHITECTURE).stream()
                .map(ExtensionInfo::name)
                .sorted()
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException(config.source() + ": no installed architecture runs model_type '" + type
                + "'" + (arch.isEmpty() ? "" : " (" + arch + ")") + "; installed: "
                + (installed.isEmpty() ? "none" : installed)
                + ". Architectures are plugin bundles: see docs/writing-a-plugin.md, or pass --model_type.");
    }
}
