package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** What {@code --server} sends: paths the server can resolve, mappings as their JSON, the rest as typed. */
class RemoteJobTest {

    @Test
    void localPathsBecomeAbsoluteAndEverythingElseIsKept() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        Path file = Files.createTempFile(here.resolve("target"), "data", ".jsonl");
        String relative = here.relativize(file).toString();
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("model", "Qwen/Qwen3-0.6B"); // a hub id, no folder here
        values.put("dataset", List.of(relative, "AI-ModelScope/alpaca#500"));
        values.put("output_dir", "out/run1");
        values.put("lora_rank", 8);
        values.put("columns", Map.of("instruction", "query"));
        Map<String, Object> sent = RemoteJob.absolutePaths(values);
        assertEquals("Qwen/Qwen3-0.6B", sent.get("model"));
        assertEquals(List.of(file.toString(), "AI-ModelScope/alpaca#500"), sent.get("dataset"));
        assertEquals(here.resolve("out/run1").toString(), sent.get("output_dir"));
        assertEquals(8, sent.get("lora_rank"));
        assertEquals("{\"instruction\":\"query\"}", sent.get("columns"));
    }
}
