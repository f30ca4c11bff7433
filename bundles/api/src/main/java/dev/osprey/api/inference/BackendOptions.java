package dev.osprey.api.inference;

import java.util.Map;
import java.util.Objects;

/**
 * What to serve and how.
 *
 * @param model a model id or folder
 * @param servedName the name clients use; the model id when empty
 * @param adapters LoRA adapters to load at start, name to folder
 * @param device the {@code --device} value
 * @param settings backend-specific settings by ms-swift / vLLM name ({@code max_num_seqs},
 *        {@code base_url}, {@code api_key}, {@code gpu_memory_utilization}, ...)
 */
public record BackendOptions(
        String model, String servedName, Map<String, String> adapters, String device, Map<String, String> settings) {

    public BackendOptions {
        Objects.requireNonNull(model, "model");
        servedName = servedName == null || servedName.isEmpty() ? model : servedName;
        adapters = Map.copyOf(adapters);
        device = device == null ? "cpu" : device;
        settings = Map.copyOf(settings);
    }
}
