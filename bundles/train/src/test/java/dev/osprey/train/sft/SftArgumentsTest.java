package dev.osprey.train.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arguments object behind the Java API, the command line and config files. */
class SftArgumentsTest {

    @TempDir
    Path dir;

    private static Map<String, Object> minimal() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", "Qwen/Qwen3-0.6B");
        m.put("dataset", "train.jsonl");
        return m;
    }

    /** A job's Arguments hold text: --columns travels as its JSON and reads back as the mapping. */
    @Test
    void columnsAreReadFromAMappingOrItsJsonText() {
        Map<String, String> expected = Map.of("instruction", "query", "output", "response");
        assertEquals(
                expected,
                SftArguments.fromMap(Map.of("columns", Map.of("instruction", "query", "output", "response")), "test")
                        .columns());
        dev.osprey.api.job.Arguments arguments = dev.osprey.api.job.Arguments.of(
                Map.of("columns", "{\"instruction\": \"query\", \"output\": \"response\"}"));
        assertEquals(
                expected,
                SftArguments.fromMap(SftArguments.valuesOf(arguments), "job").columns());
        IllegalArgumentException bad = assertThrows(
                IllegalArgumentException.class, () -> SftArguments.fromMap(Map.of("columns", "[1]"), "job"));
        assertTrue(bad.getMessage().contains("columns"), bad.getMessage());
    }

    @Test
    void msSwiftNamesAliasesAndStringValuesAreRead() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name_or_path", "Qwen/Qwen3-0.6B");
        m.put("train_dataset", List.of("a.jsonl#100", "b.jsonl"));
        m.put("tuner_type", "lora");
        m.put("quantization_bit", "4");
        m.put("learning_rate", "2e-4");
        m.put("packing", "true");
        m.put("num_train_epochs", 2.5);
        SftArguments a = SftArguments.fromMap(m, "test").validate();
        assertEquals("Qwen/Qwen3-0.6B", a.model());
        assertEquals(List.of("a.jsonl#100", "b.jsonl"), a.dataset());
        assertEquals(4, a.quantBits());
        assertEquals(2e-4, a.learningRate());
        assertTrue(a.packing());
        assertEquals(2.5, a.numTrainEpochs());
        assertEquals(8, a.loraRank(), "unset values keep ms-swift's defaults");
    }

    @Test
    void agentTemplateAndIgnoreEmptyThinkAreMsSwiftsArguments() {
        Map<String, Object> m = minimal();
        m.put("agent_template", "react_en");
        m.put("loss_scale", "last_round+ignore_empty_think");
        SftArguments args = SftArguments.fromMap(m, "test");
        args.validate();
        assertEquals("react_en", args.agentTemplate());
        assertEquals("last_round", args.lossScope());
        assertTrue(args.ignoreEmptyThink());
        m.put("loss_scale", "ignore_empty_think");
        SftArguments alone = SftArguments.fromMap(m, "test");
        alone.validate();
        assertEquals("all_assistant", alone.lossScope());
        assertTrue(alone.ignoreEmptyThink());
        m.put("loss_scale", "react");
        assertThrows(
                IllegalArgumentException.class,
                () -> SftArguments.fromMap(m, "test").validate());
        // the empty think block leaves the loss wherever it was trained; other trained ids stay
        SftExample e = new SftExample(new int[] {1, 7, 8, 9, 4, 7, 8, 9}, new int[] {-100, 7, 8, 9, 4, 7, 8, 9}, "r");
        assertArrayEquals(
                new int[] {-100, -100, -100, -100, 4, -100, -100, -100},
                e.untraining(new int[] {7, 8, 9}).labels());
    }

    @Test
    void benchmarksDuringTrainingAreMsSwiftsEvalscopeArguments() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", "m");
        m.put("dataset", "a.jsonl");
        m.put("eval_steps", "10");
        m.put("eval_use_evalscope", "true");
        m.put("eval_dataset", "mmlu");
        m.put("eval_dataset_args", "{\"mmlu\": {\"local_path\": \"/data/mmlu\"}}");
        m.put("eval_limit", "5");
        SftArguments a = SftArguments.fromMap(m, "test").validate();
        assertTrue(a.evalUseEvalscope(), "benchmarks stand in for a validation set");
        assertEquals(List.of("mmlu"), a.evalDataset());
        assertEquals(5, a.evalLimit());
        assertEquals("{\"mmlu\": {\"local_path\": \"/data/mmlu\"}}", a.evalDatasetArgs());

        m.remove("eval_dataset");
        IllegalArgumentException alone = assertThrows(
                IllegalArgumentException.class,
                () -> SftArguments.fromMap(m, "test").validate());
        assertTrue(alone.getMessage().contains("--eval_dataset"), alone.getMessage());
        m.remove("eval_use_evalscope");
        IllegalArgumentException noValidation = assertThrows(
                IllegalArgumentException.class,
                () -> SftArguments.fromMap(m, "test").validate());
        assertTrue(
                noValidation.getMessage().contains("--eval_steps needs a validation set"), noValidation.getMessage());
    }

    @Test
    void anUnknownArgumentIsNamedWithTheClosestKnownOne() {
        Map<String, Object> m = minimal();
        m.put("lora_rnak", 16);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SftArguments.fromMap(m, "my.yaml"));
        assertEquals("my.yaml: unknown argument 'lora_rnak'; did you mean 'lora_rank'?", e.getMessage());
    }

    @Test
    void aBadValueNamesItsArgument() {
        Map<String, Object> m = minimal();
        m.put("lora_rank", "eight");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> SftArguments.fromMap(m, "command line"));
        assertTrue(e.getMessage().startsWith("command line: bad value for 'lora_rank'"), e.getMessage());
    }

    @Test
    void contradictionsAreRefusedBeforeAnyWork() {
        assertEquals(
                "--quant_bits 4 quantizes frozen base weights, which contradicts --train_type full; use lora (QLoRA)",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> new SftArguments()
                                        .model("m")
                                        .dataset("d")
                                        .trainType("full")
                                        .quantBits(4)
                                        .validate())
                        .getMessage());
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new SftArguments()
                                .model("m")
                                .dataset("d")
                                .evalSteps(10)
                                .validate())
                .getMessage()
                .contains("--eval_steps needs"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new SftArguments()
                                .model("m")
                                .dataset("d")
                                .quantBits(3)
                                .validate())
                .getMessage()
                .contains("4 or 8"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new SftArguments()
                                .model("m")
                                .dataset("d")
                                .parallel("deepspeed")
                                .validate())
                .getMessage()
                .contains("one device"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new SftArguments().dataset("d").validate())
                .getMessage()
                .contains("--model"));
    }

    @Test
    void yamlAndJsonConfigFilesAreRead() throws Exception {
        Path yaml = dir.resolve("sft.yaml");
        Files.writeString(
                yaml, "model: Qwen/Qwen3-0.6B\ndataset:\n  - a.jsonl\n  - b.jsonl#10\nlora_rank: 16\nuse_dora: true\n");
        SftArguments a = SftArguments.fromFile(yaml).validate();
        assertEquals(List.of("a.jsonl", "b.jsonl#10"), a.dataset());
        assertEquals(16, a.loraRank());
        assertTrue(a.useDora());
        Path json = dir.resolve("sft.json");
        Files.writeString(json, "{\"model\": \"m\", \"dataset\": \"d.jsonl\", \"max_length\": 512}");
        assertEquals(512, SftArguments.fromFile(json).maxLength());
    }

    @Test
    void aMalformedConfigFileNamesTheFileAndLine() throws Exception {
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "model: m\ndataset: [a.jsonl\nlora_rank: 8\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftArguments.fromFile(yaml));
        assertTrue(e.getMessage().startsWith(yaml + ": ") && e.getMessage().contains("line "), e.getMessage());
    }

    @Test
    void theArgumentsRoundTripThroughTheirMap() {
        SftArguments a = new SftArguments()
                .model("m")
                .dataset("d")
                .loraRank(4)
                .outputDir(Path.of("out"))
                .validate();
        Map<String, Object> map = new LinkedHashMap<>(a.toMap());
        map.remove("stage");
        SftArguments b = SftArguments.fromMap(map, "args.json");
        assertEquals(a.toMap(), b.toMap());
    }
}
