package dev.osprey.webui.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointListServletTest {

    @TempDir
    Path output;

    @Test
    void listsCheckpointsByStepWithKindSizeAndTheMetricsOfTheirStep() throws IOException {
        Path lora = Files.createDirectories(output.resolve("checkpoint-10"));
        Files.writeString(lora.resolve("adapter_config.json"), "{\"base_model_name_or_path\": \"demo/tiny-chat\"}");
        Files.writeString(
                lora.resolve("trainer_state.json"),
                "{\"global_step\": 10, \"log_history\": [{\"step\": 5, \"loss\": 2.5, \"learning_rate\": 0.001},"
                        + " {\"step\": 10, \"loss\": 1.25}, {\"step\": 10, \"eval_loss\": 1.5}, {\"step\": 12, \"loss\": 9}]}");
        Path full = Files.createDirectories(output.resolve("checkpoint-2"));
        Files.writeString(full.resolve("config.json"), "{}");
        Files.createDirectories(output.resolve("logs")); // not a checkpoint
        Files.createDirectories(output.resolve("checkpoint-x"));

        List<Map<String, Object>> listed = CheckpointListServlet.list(output);

        assertEquals(List.of(2L, 10L), listed.stream().map(c -> c.get("step")).toList());
        assertEquals("full", listed.get(0).get("kind"));
        assertEquals(Map.of(), listed.get(0).get("metrics"), "no trainer_state.json: no metrics");
        Map<String, Object> adapter = listed.get(1);
        assertEquals("lora", adapter.get("kind"));
        assertEquals(lora.toString(), adapter.get("path"));
        assertEquals(Map.of("loss", 1.25, "learning_rate", 0.001, "eval_loss", 1.5), adapter.get("metrics"));
        assertTrue((Long) adapter.get("size_bytes") > 0);
    }

    @Test
    void anOutputFolderNotWrittenYetHasNoCheckpoints() throws IOException {
        assertEquals(List.of(), CheckpointListServlet.list(output.resolve("not-yet")));
    }
}
