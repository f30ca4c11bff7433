package dev.osprey.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json: dotted keys, aliases, and errors that name the file and the field. */
class HfConfigTest {

    @TempDir
    Path dir;

    private HfConfig qwen() throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {
                  "architectures": ["Qwen2ForCausalLM"],
                  "model_type": "qwen2",
                  "hidden_size": 896,
                  "num_local_experts": 8,
                  "rms_norm_eps": 1e-06,
                  "rope_theta": 1000000.0,
                  "max_position_embeddings": 32768.0,
                  "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768},
                  "sliding_window": null,
                  "tie_word_embeddings": true,
                  "torch_dtype": "bfloat16",
                  "odd.key": 5,
                  "vocab": "abc",
                  "ratio": 1.5,
                  "layer_types": ["full_attention", "sliding_attention"]
                }
                """);
        return HfConfig.read(file);
    }

    @Test
    void readsTypedFields() throws IOException {
        HfConfig c = qwen();
        assertEquals("qwen2", c.modelType());
        assertEquals(Optional.of("Qwen2ForCausalLM"), c.architecture());
        assertEquals(896, c.requireInt("hidden_size"));
        assertEquals(1e-6, c.requireDouble("rms_norm_eps"));
        assertEquals(32768, c.requireInt("max_position_embeddings"), "an integral double is an int");
        assertTrue(c.getBoolean(false, "tie_word_embeddings"));
        assertEquals(Optional.of("bfloat16"), c.getString("dtype", "torch_dtype"));
        assertEquals(dir.resolve("config.json"), c.source());
        assertEquals(
                List.of("full_attention", "sliding_attention"),
                c.get("layer_types").orElseThrow());
    }

    @Test
    void dottedKeysReachIntoNestedObjects() throws IOException {
        HfConfig c = qwen();
        assertEquals(4.0, c.requireDouble("rope_scaling.factor"));
        assertEquals(32768, c.requireInt("rope_scaling.original_max_position_embeddings"));
        assertEquals(Optional.of("yarn"), c.getString("rope_scaling.type"));
        assertEquals(5, c.requireInt("odd.key"), "a key that contains dots is found as such");
        assertEquals(7, c.getInt(7, "rope_scaling.missing", "hidden_size.deeper"));
        assertEquals(1e6, c.getDouble(0, "rope_parameters.rope_theta", "rope_theta"));
    }

    @Test
    void firstPresentKeyWins() throws IOException {
        HfConfig c = qwen();
        assertEquals(8, c.getInt(0, "num_experts", "num_local_experts"));
        assertEquals(896, c.getInt(0, "hidden_size", "num_local_experts"));
        assertEquals(3, c.getInt(3, "num_experts", "n_routed_experts"));
        assertEquals(-1, c.getInt(-1, "sliding_window"), "JSON null counts as absent");
        assertTrue(c.get("sliding_window").isEmpty());
    }

    @Test
    void missingRequiredFieldNamesFileAndField() throws IOException {
        HfConfig c = qwen();
        Path file = dir.resolve("config.json");
        CheckpointException e = assertThrows(CheckpointException.class, () -> c.requireInt("num_attention_heads"));
        assertEquals("config.json (" + file + "): required field 'num_attention_heads' is missing", e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.requireInt("num_experts", "n_routed_experts"));
        assertEquals(
                "config.json (" + file + "): required field 'num_experts' (or 'n_routed_experts') is missing",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.requireDouble("rope_scaling.beta"));
    }

    @Test
    void wrongTypesAreErrorsEvenWithADefault() throws IOException {
        HfConfig c = qwen();
        Path file = dir.resolve("config.json");
        CheckpointException e = assertThrows(CheckpointException.class, () -> c.requireInt("vocab"));
        assertEquals("config.json (" + file + "): field 'vocab' must be a number, was \"abc\"", e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.getInt(0, "ratio"));
        assertTrue(e.getMessage().contains("field 'ratio' must be an integer, was 1.5"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.getBoolean(false, "hidden_size"));
        assertTrue(e.getMessage().contains("field 'hidden_size' must be true or false"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.getString("rope_scaling"));
        assertTrue(e.getMessage().contains("field 'rope_scaling' must be a string, was an object"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> c.getDouble(0, "num_experts", "layer_types"));
        assertTrue(e.getMessage().contains("field 'layer_types' must be a number"), e.getMessage());
    }

    @Test
    void modelTypeIsRequiredArchitectureIsNot() {
        HfConfig c = HfConfig.of(Map.of("hidden_size", 4), Path.of("/m/config.json"));
        CheckpointException e = assertThrows(CheckpointException.class, c::modelType);
        assertEquals("config.json (/m/config.json): required field 'model_type' is missing", e.getMessage());
        assertEquals(Optional.empty(), c.architecture());
    }

    @Test
    void asMapIsADeepUnmodifiableCopy() {
        Map<String, Object> nested = new HashMap<>(Map.of("factor", 2.0));
        Map<String, Object> map =
                new HashMap<>(Map.of("model_type", "llama", "rope_scaling", nested, "list", List.of(1, 2)));
        HfConfig c = HfConfig.of(map, null);
        nested.put("factor", 8.0);
        assertEquals(2.0, c.requireDouble("rope_scaling.factor"), "copied, not shared");
        assertThrows(UnsupportedOperationException.class, () -> c.asMap().put("x", 1));
        @SuppressWarnings("unchecked")
        Map<String, Object> inner = (Map<String, Object>) c.asMap().get("rope_scaling");
        assertThrows(UnsupportedOperationException.class, () -> inner.put("x", 1));
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) c.asMap().get("list");
        assertThrows(UnsupportedOperationException.class, () -> list.add(3));
        assertFalse(c.getBoolean(false, "missing"));
    }

    @Test
    void invalidJsonNamesTheFile() throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"model_type\": \"llama\",}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfConfig.read(file));
        assertTrue(e.getMessage().startsWith("config.json (" + file + "): "), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }
}
