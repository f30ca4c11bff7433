package dev.osprey.devtools.impl;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.model.ModelRequest;
import dev.osprey.cli.spi.ModelOptions;
import dev.osprey.hub.TerminalProgressBar;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.train.sft.PluginModels;

/** The model of a developer command's {@link ModelOptions}, loaded by the model service as the engine's own {@link HfModel}. */
final class ModelLoading {

    private ModelLoading() {}

    /**
     * Loads the model, its decoder's linear layers quantized while loading when {@code quantization} is given. What
     * the load holds (the architecture's handle) stays open in {@code handles} while the model is used, since the
     * model's classes come from the architecture's bundle; downloads are drawn as a progress bar.
     */
    static HfModel load(
            DevTools platform,
            ModelOptions options,
            NDManager manager,
            List<AutoCloseable> handles,
            QuantSpec quantization)
            throws IOException {
        PluginModels provider = provider(platform);
        handles.add(provider);
        return load(provider, options, manager, quantization, null);
    }

    /** The platform's models for a command, downloads drawn as a progress bar; it holds what it loaded until closed. */
    static PluginModels provider(DevTools platform) {
        return new PluginModels(platform.modelService, platform.extensions, new TerminalProgressBar());
    }

    /**
     * Loads the model through {@code provider}.
     *
     * @param template the {@code --template} of its prompts, or null for the platform's precedence without one
     */
    static HfModel load(
            PluginModels provider, ModelOptions options, NDManager manager, QuantSpec quantization, String template)
            throws IOException {
        ModelRequest request = options.request().withTemplate(template);
        if (quantization != null) {
            request = request.withQuantization(
                    quantization.method().bits(), quantization.method().name().toLowerCase(Locale.ROOT));
        }
        return provider.load(request, manager);
    }
}
