package dev.osprey.train.sft;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.job.ProgressReporter;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.DownloadProgress;
import dev.osprey.model.load.HfModel;
import dev.osprey.model.load.TorchDtype;
import dev.osprey.model.nn.QuantSpec;
import dev.osprey.model.spi.MediaProcessor;

/**
 * Models and chat templates from the running platform, for a training job inside Osprey: a thin adapter over the
 * platform's {@link ModelService} (finding, architecture matching, loading, the template precedence) for the
 * training code that works on {@link HfModel}s. Holds what it loaded (the models' extension handles) and the
 * templates it took until closed, since a model's classes come from its architecture's bundle.
 */
public final class PluginModels implements ModelProvider {

    private final ModelService service;
    private final ExtensionRegistry extensions;
    private final DownloadProgress progress;
    private final List<ExtensionHandle<?>> handles = new ArrayList<>();
    private final Map<HfModel, LoadedModel> loaded = new IdentityHashMap<>();

    /**
     * @param service the platform's model service
     * @param progress shows downloads, or null for none
     */
    public PluginModels(ModelService service, ExtensionRegistry extensions, DownloadProgress progress) {
        this.service = service;
        this.extensions = extensions;
        this.progress = progress;
    }

    @Override
    public HfModel load(SftArguments args, NDManager manager) throws IOException {
        // QLoRA: quantized while loading, one dense weight in memory at a time
        boolean qlora = args.quantBits() > 0 && args.trainType().equals("lora");
        return load(
                request(args.model(), args.modelType(), args.useHf(), args.modelRevision(), args.torchDtype())
                        .withQuantization(qlora ? args.quantBits() : 0, qlora ? args.quantType() : null)
                        .withTemplate(args.template()),
                manager);
    }

    /**
     * Loads a model by id or folder; what it holds is kept until {@link #close()}.
     *
     * @param quantization how to store the decoder's linear layers (its method; block sizes are the defaults), or null
     *        for dense
     */
    public HfModel load(
            String model,
            String modelType,
            boolean useHf,
            String revision,
            String torchDtype,
            QuantSpec quantization,
            NDManager manager)
            throws IOException {
        ModelRequest request = request(model, modelType, useHf, revision, torchDtype);
        if (quantization != null) {
            request = request.withQuantization(
                    quantization.method().bits(), quantization.method().name().toLowerCase(Locale.ROOT));
        }
        return load(request, manager);
    }

    /** Loads what {@code request} asks for into {@code manager}; kept until {@link #close()}. */
    public HfModel load(ModelRequest request, NDManager manager) throws IOException {
        LoadedModel model = service.load(request, manager);
        HfModel hf = model.unwrap(HfModel.class)
                .orElseThrow(() -> new IllegalStateException(
                        "the model service gave no" + " Hugging Face model for " + request.model()));
        synchronized (loaded) {
            loaded.put(hf, model);
        }
        return hf;
    }

    private ModelRequest request(String model, String modelType, boolean useHf, String revision, String torchDtype) {
        ModelRequest request = ModelRequest.of(model)
                .withModelType(modelType)
                .withUseHf(useHf)
                .withRevision(revision)
                .withTorchDtype(torchDtype);
        return progress == null ? request : request.withProgress(new DownloadBar(progress));
    }

    /**
     * The prompt encoder of a model this provider loaded: its template by the platform's one precedence
     * ({@code --template} of the load, the registry, the model's own, its {@code model_type}'s).
     *
     * @throws IllegalArgumentException for a model this provider did not load
     */
    @Override
    public PromptEncoder prompts(HfModel model) {
        LoadedModel owner;
        synchronized (loaded) {
            owner = loaded.get(model);
        }
        if (owner == null) {
            throw new IllegalArgumentException(model.folder() + " was not loaded by this provider");
        }
        return owner.prompts();
    }

    @Override
    public MediaProcessor media(HfModel model) {
        LoadedModel owner;
        synchronized (loaded) {
            owner = loaded.get(model);
        }
        return owner == null ? null : owner.unwrap(MediaProcessor.class).orElse(null);
    }

    @Override
    public void close() {
        handles.forEach(ExtensionHandle::close);
        handles.clear();
        synchronized (loaded) {
            loaded.values().forEach(LoadedModel::close); // a model the caller closed already is closed once
            loaded.clear();
        }
    }

    /** {@code --torch_dtype}: float32, or float16; bfloat16 checkpoints are widened to float32 on the CPU. */
    public static DataType dataType(String torchDtype) {
        return TorchDtype.of(torchDtype);
    }

    /** Download progress told through the API's reporter, drawn by the hub's {@link DownloadProgress} (a terminal bar). */
    private static final class DownloadBar implements ProgressReporter {
        private static final String PHASE = "download ";
        private final DownloadProgress bar;
        private String file;
        private long bytes;

        DownloadBar(DownloadProgress bar) {
            this.bar = bar;
        }

        @Override
        public synchronized void begin(String phase, long totalSteps) {
            file = phase.startsWith(PHASE) ? phase.substring(PHASE.length()) : phase;
            bytes = 0;
            bar.started(file, totalSteps);
        }

        @Override
        public synchronized void step(long step, Map<String, Double> metrics) {
            bar.advanced(step - bytes);
            bytes = step;
        }

        @Override
        public synchronized void message(String text) {
            if (file != null && text.endsWith(file)) {
                bar.finished(file);
            }
        }
    }
}
