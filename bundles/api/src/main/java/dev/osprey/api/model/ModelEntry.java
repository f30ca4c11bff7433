package dev.osprey.api.model;

import java.util.ArrayList;
import java.util.List;
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
 * @param task what the model is for, by ms-swift's {@code --task_type}: {@link #CAUSAL_LM} (the default, also
 *        for an entry without {@code "task"}), {@code seq_cls}, {@code embedding}, {@code reranker} or
 *        {@code generative_reranker}; serving reads it to answer {@code /v1/embeddings} or {@code /v1/rerank}
 * @since 1.3 (task), 1.4 ({@link #modalities()})
 */
public record ModelEntry(
        String id,
        String modelscopeId,
        String modelType,
        String architecture,
        String chatTemplate,
        Set<String> tags,
        Map<String, String> requires,
        String bundle,
        String task) {

    /** The task of a language model that generates text. */
    public static final String CAUSAL_LM = "causal_lm";

    /** The modality every entry reads. */
    public static final String TEXT = "text";

    /** An entry of a causal language model. */
    public ModelEntry(
            String id,
            String modelscopeId,
            String modelType,
            String architecture,
            String chatTemplate,
            Set<String> tags,
            Map<String, String> requires,
            String bundle) {
        this(id, modelscopeId, modelType, architecture, chatTemplate, tags, requires, bundle, CAUSAL_LM);
    }

    public ModelEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(modelType, "modelType");
        modelscopeId = modelscopeId == null ? "" : modelscopeId;
        architecture = architecture == null ? "" : architecture;
        chatTemplate = chatTemplate == null ? "" : chatTemplate;
        tags = Set.copyOf(tags);
        requires = Map.copyOf(requires);
        bundle = bundle == null ? "" : bundle;
        task = task == null || task.isEmpty() ? CAUSAL_LM : task;
    }

    /**
     * What the model reads: {@code text}, then {@code image}, {@code video} and {@code audio} for the entries tagged
     * {@code vision}, {@code video} and {@code audio} (the tags the model bundles' registry files give their
     * multimodal ids), in that order.
     */
    public List<String> modalities() {
        List<String> modalities = new ArrayList<>(List.of(TEXT));
        if (tags.contains("vision")) {
            modalities.add("image");
        }
        if (tags.contains("video")) {
            modalities.add("video");
        }
        if (tags.contains("audio")) {
            modalities.add("audio");
        }
        return List.copyOf(modalities);
    }
}
