package dev.osprey.webui.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;

class ArgumentsYamlTest {

    private static final List<ArgumentSpec> ARGUMENTS = List.of(
            ArgumentSpec.of("model", Type.TEXT, "the model"),
            ArgumentSpec.of("dataset", Type.LIST, "the data"),
            new ArgumentSpec("learning_rate", List.of("lr"), Type.NUMBER, List.of("1e-4"), "", List.of()),
            ArgumentSpec.of("lora_rank", Type.INTEGER, ""),
            ArgumentSpec.of("gradient_checkpointing", Type.BOOLEAN, ""),
            ArgumentSpec.of("columns", Type.MAPPING, ""),
            ArgumentSpec.of("rlhf_type", Type.TEXT, ""));

    @Test
    void valuesAreWrittenTypedAsTheConfigLoaderReadsThem() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("rlhf_type", "dpo");
        values.put("model", "/m/tiny");
        values.put("dataset", List.of("a.jsonl", "b.jsonl"));
        values.put("learning_rate", "0.01");
        values.put("lora_rank", "16");
        values.put("gradient_checkpointing", "false");
        values.put("columns", "{\"q\": \"query\"}");
        String yaml = ArgumentsYaml.write(ARGUMENTS, values, "osprey rlhf");
        assertTrue(yaml.startsWith("# osprey rlhf --config THIS_FILE\n"), yaml);
        Map<?, ?> read = new ObjectMapper(new YAMLFactory()).readValue(yaml, Map.class);
        assertEquals("dpo", read.get("rlhf_type"));
        assertEquals(List.of("a.jsonl", "b.jsonl"), read.get("dataset"));
        assertEquals(0.01, read.get("learning_rate"));
        assertEquals(16, read.get("lora_rank"));
        assertEquals(false, read.get("gradient_checkpointing"));
        assertEquals(Map.of("q", "query"), read.get("columns"));

        Map<String, Object> back = ArgumentsYaml.read(ARGUMENTS, yaml, "saved.yaml");
        assertEquals("0.01", back.get("learning_rate"));
        assertEquals(List.of("a.jsonl", "b.jsonl"), back.get("dataset"));
        assertEquals("{\"q\":\"query\"}", back.get("columns"));
        assertEquals("16", back.get("lora_rank"));
    }

    @Test
    void anAliasIsReadAsItsArgumentsName() throws Exception {
        assertEquals(Map.of("learning_rate", "0.5"), ArgumentsYaml.read(ARGUMENTS, "lr: 0.5\n", "f.yaml"));
    }

    @Test
    void anUnknownNameIsRefusedWithItsLine() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ArgumentsYaml.read(ARGUMENTS, "model: m\n\nlearning_rat: 1\n", "f.yaml"));
        assertEquals("f.yaml (line 3): unknown argument 'learning_rat'", e.getMessage());
    }

    @Test
    void aNumberThatDoesNotParseIsNamed() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ArgumentsYaml.write(ARGUMENTS, Map.of("lora_rank", "sixteen"), "osprey sft"));
        assertEquals("--lora_rank must be a whole number, was 'sixteen'", e.getMessage());
    }

    @Test
    void everyArgumentHasASectionAndUnknownOnesGoToOther() {
        assertEquals("lora", ArgumentGroups.of("lora_rank"));
        assertEquals("grpo", ArgumentGroups.of("reward_funcs"));
        assertEquals("rlhf", ArgumentGroups.of("beta"));
        assertEquals("other", ArgumentGroups.of("a_plugins_own_option"));
        assertEquals("other", ArgumentGroups.order().get(ArgumentGroups.order().size() - 1));
    }
}
