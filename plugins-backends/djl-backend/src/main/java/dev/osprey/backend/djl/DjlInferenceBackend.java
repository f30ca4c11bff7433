package dev.osprey.backend.djl;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.hub.HubOptions;

/**
 * The built-in backend ({@code --infer_backend djl}): loads the model through the {@link ModelService} and serves
 * it in this process with continuous batching ({@link DjlSession}). Settings, by vLLM name:
 * {@code max_num_seqs}, {@code max_num_batched_tokens}, {@code max_cached_tokens}, {@code max_model_len},
 * {@code torch_dtype}, {@code model_type}, {@code use_hf}, {@code template} (the chat template, above the model's own).
 */
@Component(service = InferenceBackend.class)
public class DjlInferenceBackend implements InferenceBackend {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Reference
    ModelService models;

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
        DeviceId device = DeviceId.parse(options.device());
        if (!device.kind().equals("cpu")) {
            throw new IllegalArgumentException(
                    "--device " + options.device() + ": the djl backend runs on the CPU only for now");
        }
        ServingSettings settings = ServingSettings.parse(options.settings());
        ModelRequest request = ModelRequest.of(options.model())
                .withModelType(settings.modelType())
                .withTorchDtype(settings.torchDtype())
                .withUseHf(HubOptions.isTrue(options.settings().getOrDefault("use_hf", "false")))
                .withTemplate(options.settings().get("template"))
                .withDevice(device);
        NDManager manager = engine.newManager(device);
        LoadedModel loaded;
        try {
            loaded = models.load(request, manager);
        } catch (Exception | Error e) {
            manager.close();
            throw e;
        }
        try {
            return DjlSession.open(loaded, manager, options); // closes the model when it fails
        } catch (Exception | Error e) {
            manager.close();
            throw e;
        }
    }
}
