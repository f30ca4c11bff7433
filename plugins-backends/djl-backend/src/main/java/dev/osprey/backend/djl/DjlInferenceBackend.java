package dev.osprey.backend.djl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionRegistry;
import dev.osprey.hub.HubOptions;
import dev.osprey.hub.ModelLocator;
import dev.osprey.model.load.Architectures;

/**
 * The built-in backend ({@code --infer_backend djl}): loads the model with the installed architectures
 * and serves it in this process with continuous batching ({@link DjlSession}). Settings, by vLLM name:
 * {@code max_num_seqs}, {@code max_num_batched_tokens}, {@code max_cached_tokens}, {@code max_model_len},
 * {@code torch_dtype}, {@code model_type}, {@code use_hf}.
 */
@Component(service = InferenceBackend.class)
public class DjlInferenceBackend implements InferenceBackend {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;
    @Reference
    ExtensionRegistry extensions;
    @Reference
    ModelRegistry models;

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public String description() {
        return "the built-in engine: DJL on this machine, continuous batching, LoRA adapters unmerged";
    }

    @Override
    public InferenceSession open(BackendOptions options) throws Exception {
        String device = options.device().toLowerCase(Locale.ROOT);
        if (!device.equals("cpu") && !device.startsWith("cpu:")) {
            throw new IllegalArgumentException("--device " + options.device() + ": the djl backend runs on the CPU only for now");
        }
        ServingSettings settings = ServingSettings.parse(options.settings());
        boolean useHf = HubOptions.isTrue(options.settings().getOrDefault("use_hf", "false"));
        Path folder = new ModelLocator(HubOptions.fromEnvironment(useHf)).locate(options.model());
        List<AutoCloseable> handles = new ArrayList<>();
        NDManager manager = engine.newManager(Device.cpu());
        try {
            return DjlSession.open(folder, config -> {
                ExtensionHandle<ModelArchitecture> handle = Architectures.find(extensions, models, options.model(), settings.modelType(), config);
                handles.add(handle);
                return handle.get();
            }, manager, options, handles);
        } catch (Exception | Error e) {
            manager.close();
            for (AutoCloseable h : handles) {
                h.close();
            }
            throw e;
        }
    }
}
