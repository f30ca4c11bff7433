package dev.osprey.backend.djl;

import java.util.HashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.inference.InferenceSession;
import dev.osprey.api.model.LoadedModel;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;
import dev.osprey.api.model.ModelRequest;
import dev.osprey.api.model.ModelService;
import dev.osprey.hub.HubOptions;

/**
 * The built-in backend ({@code --infer_backend djl}): loads the model through the {@link ModelService} and serves
 * it in this process with continuous batching ({@link DjlSession}). Settings, by vLLM name:
 * {@code max_num_seqs}, {@code max_num_batched_tokens}, {@code max_cached_tokens}, {@code max_model_len},
 * {@code torch_dtype}, {@code quant_bits} / {@code quant_type} (quantize the linear layers at load and serve them
 * packed), {@code model_type}, {@code use_hf}, {@code template} (the chat template, above the model's own),
 * {@code task_type} ({@code embedding}, {@code reranker}, {@code generative_reranker}, {@code seq_cls}: the model
 * answers {@code /v1/embeddings} or {@code /v1/rerank} instead of generating; default: the registry entry's task).
 */
@Component(service = InferenceBackend.class)
public class DjlInferenceBackend implements InferenceBackend {

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    @Reference
    ModelService models;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
    volatile ModelRegistry registry;

    @Override
    public String name() {
        return "djl";
    }

    @Override
    public String description() {
        return "the built-in engine: DJL on this machine, continuous batching, LoRA adapters unmerged";
    }

    /**
     * The options with {@code task_type}: as given (the {@code --task_type} of {@code osprey deploy}), else the
     * registry entry's task for the model id, so that {@code osprey deploy --model Qwen/Qwen3-Embedding-0.6B}
     * serves embeddings.
     */
    BackendOptions withTask(BackendOptions options) {
        if (options.settings().containsKey("task_type") || registry == null) {
            return options;
        }
        return registry.find(options.model())
                .filter(e -> !e.task().equals(ModelEntry.CAUSAL_LM))
                .map(e -> {
                    Map<String, String> settings = new HashMap<>(options.settings());
                    settings.put("task_type", e.task());
                    return new BackendOptions(
                            options.model(), options.servedName(), options.adapters(), options.device(), settings);
                })
                .orElse(options);
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
                .withQuantization(settings.quantBits(), settings.quantType())
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
            return DjlSession.open(loaded, manager, withTask(options)); // closes the model when it fails
        } catch (Exception | Error e) {
            manager.close();
            throw e;
        }
    }
}
