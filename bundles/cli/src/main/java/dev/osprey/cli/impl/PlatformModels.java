package dev.osprey.cli.impl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDManager;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.model.load.HfModel;
import dev.osprey.train.sft.ModelProvider;
import dev.osprey.train.sft.SftArguments;

/**
 * Models and chat templates for training jobs from the running platform: architectures and templates
 * from the installed plugins, folders from the local disk, the caches or the hub. Holds the extension
 * handles it acquired until closed.
 */
final class PlatformModels implements ModelProvider {

    private final Platform platform;
    private final List<AutoCloseable> handles = new ArrayList<>();

    PlatformModels(Platform platform) {
        this.platform = platform;
    }

    @Override
    public HfModel load(SftArguments args, NDManager manager) throws IOException {
        ModelOptions options = new ModelOptions();
        options.model = args.model();
        options.modelType = args.modelType();
        options.useHf = args.useHf();
        options.revision = args.modelRevision();
        options.dtype = args.torchDtype();
        return options.load(platform.extensions, platform.models, manager, handles);
    }

    @Override
    public ChatTemplate template(String name) {
        ExtensionHandle<ChatTemplate> handle = platform.extensions.require(ChatTemplate.class, name);
        handles.add(handle);
        return handle.get();
    }

    @Override
    public void close() {
        for (AutoCloseable handle : handles) {
            try {
                handle.close();
            } catch (Exception e) {
                // releasing a handle cannot fail in a way the user could act on
            }
        }
        handles.clear();
    }
}
