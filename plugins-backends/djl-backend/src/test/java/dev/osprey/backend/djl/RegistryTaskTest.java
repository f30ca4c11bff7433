package dev.osprey.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.osprey.api.inference.BackendOptions;
import dev.osprey.api.model.ModelEntry;
import dev.osprey.api.model.ModelRegistry;

/** {@code osprey deploy --model <id>} serves the task of the id's registry entry unless --task_type says otherwise. */
class RegistryTaskTest {

    static ModelRegistry registry(ModelEntry... entries) {
        return new ModelRegistry() {
            @Override
            public List<ModelEntry> entries() {
                return List.of(entries);
            }

            @Override
            public Optional<ModelEntry> find(String id) {
                return List.of(entries).stream().filter(e -> e.id().equals(id)).findFirst();
            }

            @Override
            public List<ModelEntry> byModelType(String modelType) {
                return List.of(entries).stream()
                        .filter(e -> e.modelType().equals(modelType))
                        .toList();
            }
        };
    }

    @Test
    void theRegistryEntrysTaskIsServedUnlessGiven() {
        DjlInferenceBackend backend = new DjlInferenceBackend();
        backend.registry = registry(
                new ModelEntry("Qwen/Qwen3-Embedding-0.6B", "", "qwen3", "", "", Set.of(), Map.of(), "b", "embedding"),
                new ModelEntry("Qwen/Qwen3-0.6B", "", "qwen3", "", "", Set.of(), Map.of(), "b"));
        BackendOptions embedding = new BackendOptions("Qwen/Qwen3-Embedding-0.6B", null, Map.of(), "cpu", Map.of());
        assertEquals("embedding", backend.withTask(embedding).settings().get("task_type"));
        BackendOptions given = new BackendOptions(
                "Qwen/Qwen3-Embedding-0.6B", null, Map.of(), "cpu", Map.of("task_type", "causal_lm"));
        assertEquals("causal_lm", backend.withTask(given).settings().get("task_type"));
        BackendOptions chat = new BackendOptions("Qwen/Qwen3-0.6B", null, Map.of(), "cpu", Map.of());
        assertFalse(backend.withTask(chat).settings().containsKey("task_type"));
    }
}
