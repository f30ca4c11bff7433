package dev.osprey.api.model;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One model of the registry: data contributed by a model bundle (see {@link ModelRegistry}).
 *
 * @param id the Hugging Face id, e.g. {@code Qwen/Qwen3-0.6B}
 * @param modelscopeId the ModelScope id, or empty when the model is not on ModelScope
 * @param modelType the {@code model_type} whose {@link ModelArchitecture} runs it
 * @param architecture {@code architectures[0]}
 * @param chatTemplate the name of the {@link dev.osprey.api.chat.ChatTemplate} it uses, or empty for a base model
 * @param tags e.g. {@code thinking}, {@code moe}, {@code coder}, {@code math}, {@code base}
 * @param requires requirements such as {@code transformers: ">=4.51"} or {@code min_memory_gb: "2"}
 * @param bundle the symbolic name of the bundle that contributed it
 */
public record ModelEntry(
        String id,
        String modelscopeId,
        String modelType,
        String architecture,
        String chatTemplate,
        Set<String> tags,
        Map<String, String> requires,
        String bundle) {

    public ModelEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(modelType, "modelType");
        modelscopeId = modelscopeId == null ? "" : modelscopeId;
        architecture = architecture == null ? "" : architecture;
        chatTemplate = chatTemplate == null ? "" : chatTemplate;
        tags = Set.copyOf(tags);
        requires = Map.copyOf(requires);
        bundle = bundle == null ? "" : bundle;
    }
}
