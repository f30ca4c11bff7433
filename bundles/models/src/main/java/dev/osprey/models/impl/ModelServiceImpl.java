package dev.osprey.models.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.chat.ChatPromptEncoder;
import dev.osprey.chat.ChosenTemplate;
import dev.osprey.hub.DownloadProgress;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.ModelLocator;
import dev.osprey.model.load.Architectures;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.LoraMerge;
import dev.osprey.model.load.ModelLoader;
import dev.osprey.model.load.PeftAdapter;
import dev.osprey.model.load.TorchDtype;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.MediaProcessor;

/**
 * The platform's {@link ModelService}: the hub bundle finds the folder, {@link Architectures} matches the
 * architecture plugin, {@link ModelLoader} reads weights and tokenizer files, {@link PeftAdapter} and
 * {@link LoraMerge} apply adapters, {@link ChosenTemplate} picks the chat template.
 */
@Component(service = ModelService.class)
public class ModelServiceImpl implements ModelService {

    private final ExtensionRegistry extensions;
    private final ModelRegistry registry;
    private final Function<DeviceId, NDManager> managers;
    private final Function<Boolean, HubOptions> hubOptions;

    /** On the platform: the engine makes the managers, the environment configures the hubs. */
    @Activate
    public ModelServiceImpl(
            @Reference EngineRuntime engine,
            @Reference ExtensionRegistry extensions,
            @Reference ModelRegistry registry) {
        this(extensions, registry, engine::newManager, HubOptions::fromEnvironment);
    }

    /**
     * @param managers a new root manager on a device
     * @param hubOptions the hub settings for {@code use_hf} true or false
     */
    public ModelServiceImpl(
            ExtensionRegistry extensions,
            ModelRegistry registry,
            Function<DeviceId, NDManager> managers,
            Function<Boolean, HubOptions> hubOptions) {
        this.extensions = extensions;
        this.registry = registry;
        this.managers = managers;
        this.hubOptions = hubOptions;
    }

    @Override
    public Path locate(ModelRequest request) throws IOException {
        HubOptions options = hubOptions.apply(request.useHf());
        if (request.revision().isPresent()) {
            options = options.withRevision(request.revision().get());
        }
        DownloadProgress progress =
                request.progress().<DownloadProgress>map(DownloadReporter::new).orElse(DownloadProgress.NONE);
        return new ModelLocator(options, progress).locate(request.model());
    }

    @Override
    public LoadedModel load(ModelRequest request) throws IOException {
        NDManager manager = managers.apply(request.device());
        try {
            return load(request, manager, manager);
        } catch (IOException | RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public LoadedModel load(ModelRequest request, NDManager manager) throws IOException {
        return load(request, manager, null);
    }

    /** @param ownManager closed with the model, or null when the caller owns {@code manager} */
    private LoadedModel load(ModelRequest request, NDManager manager, NDManager ownManager) throws IOException {
        Path folder = locate(request);
        List<AutoCloseable> held = new ArrayList<>();
        HfModel hf = null;
        ModelArchitecture[] architecture = new ModelArchitecture[1]; // the family, for its media step
        try {
            QuantSpec quantization = request.quantBits() == 0
                    ? null
                    : QuantSpec.of(request.quantBits(), request.quantType().orElse(null));
            hf = ModelLoader.load(
                    folder,
                    config -> {
                        ExtensionHandle<ModelArchitecture> handle = Architectures.find(
                                extensions,
                                registry,
                                request.model(),
                                request.modelType().orElse(null),
                                config);
                        held.add(handle);
                        architecture[0] = handle.get();
                        return architecture[0];
                    },
                    manager,
                    TorchDtype.of(request.torchDtype()),
                    quantization);
            List<String> attached = applyAdapters(request, hf, manager);
            ChatPromptEncoder prompts = hf.tokenizer() == null ? null : prompts(request, hf, held);
            MediaProcessor media =
                    architecture[0] instanceof DecoderFamily family ? family.mediaProcessor(hf.config(), folder) : null;
            if (media != null && prompts != null) {
                prompts = prompts.withMediaPlaceholders(media.placeholders());
            }
            if (ownManager != null) {
                held.add(ownManager);
            }
            return new LoadedHfModel(hf, request.device(), attached, prompts, media, held);
        } catch (IOException | RuntimeException | Error e) {
            if (hf != null) {
                hf.close();
            }
            LoadedHfModel.closeAll(held);
            throw e;
        }
    }

    /** The prompt encoder with the template of the one precedence; a template plugin's handle joins {@code held}. */
    private ChatPromptEncoder prompts(ModelRequest request, HfModel hf, List<AutoCloseable> held) {
        ChosenTemplate chosen = null;
        String noTemplate = null;
        try {
            chosen = ChosenTemplate.choose(
                    request.template().orElse(null),
                    request.model(),
                    hf.config().getString("model_type").orElse(null),
                    hf.tokenizerConfig(),
                    extensions,
                    registry);
            held.add(chosen);
        } catch (IllegalArgumentException e) {
            if (request.template().isPresent()) {
                throw e; // --template names a template that is not installed
            }
            noTemplate = e.getMessage(); // conversations fail with it; plain texts still encode
        }
        return ChatPromptEncoder.of(chosen, noTemplate, hf.tokenizer(), hf.tokenizerConfig(), hf.generationConfig());
    }

    /** Attaches each adapter under its name, then merges it when asked; returns the names left attached. */
    private static List<String> applyAdapters(ModelRequest request, HfModel hf, NDManager manager) throws IOException {
        List<String> attached = new ArrayList<>();
        for (var adapter : request.adapters().entrySet()) {
            PeftAdapter.attach(
                    adapter.getValue(),
                    LoraMerge.linearsOf(hf.model()),
                    adapter.getKey(),
                    manager,
                    hf.model()::checkpointKey);
            if (request.mergeAdapters()) {
                LoraMerge.merge(hf.model(), adapter.getKey());
            } else {
                attached.add(adapter.getKey());
            }
        }
        return attached;
    }
}
