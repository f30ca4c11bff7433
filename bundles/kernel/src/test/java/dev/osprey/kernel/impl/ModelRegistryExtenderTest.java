package dev.osprey.kernel.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.osprey.api.model.ModelEntry;

class ModelRegistryExtenderTest {

    @Test
    void readsEntriesAndReportsBadOnesByIndex() throws Exception {
        String json = """
                [{"id": "meta-llama/Llama-3.2-1B-Instruct", "modelscope_id": "LLM-Research/Llama-3.2-1B-Instruct",
                  "model_type": "llama", "architecture": "LlamaForCausalLM", "template": "llama3",
                  "tags": ["instruct"], "requires": {"transformers": ">=4.45"}},
                 {"id": "no-type"}]
                """;
        List<String> problems = new ArrayList<>();
        List<ModelEntry> entries =
                ModelRegistryExtender.parse(new ObjectMapper().readTree(json), "b", "models.json", problems);
        assertEquals(1, entries.size());
        ModelEntry e = entries.get(0);
        assertEquals("llama", e.modelType());
        assertEquals("LLM-Research/Llama-3.2-1B-Instruct", e.modelscopeId());
        assertEquals(">=4.45", e.requires().get("transformers"));
        assertEquals(List.of("models.json entry 1: 'id' and 'model_type' are required"), problems);
    }

    @Test
    void anEntrysTaskDefaultsToCausalLm() throws Exception {
        String json = """
                [{"id": "Qwen/Qwen3-Embedding-0.6B", "model_type": "qwen3", "task": "embedding"},
                 {"id": "Qwen/Qwen3-0.6B", "model_type": "qwen3"}]
                """;
        List<ModelEntry> entries =
                ModelRegistryExtender.parse(new ObjectMapper().readTree(json), "b", "models.json", new ArrayList<>());
        assertEquals("embedding", entries.get(0).task());
        assertEquals(ModelEntry.CAUSAL_LM, entries.get(1).task());
    }

    @Test
    void aFileThatIsNotAnArrayIsReported() throws Exception {
        List<String> problems = new ArrayList<>();
        assertTrue(ModelRegistryExtender.parse(new ObjectMapper().readTree("{}"), "b", "m.json", problems)
                .isEmpty());
        assertEquals(List.of("m.json: the top level must be a JSON array of model entries"), problems);
    }
}
