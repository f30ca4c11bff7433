package dev.osprey.train.args;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;
import dev.osprey.train.sft.SftArguments;

/** The supervised methods describe SftArguments' arguments: names, aliases, types, defaults, help and choices. */
class ArgumentSpecsTest {

    private final Map<String, ArgumentSpec> described =
            ArgumentSpecs.describe(ArgumentSpecs.SUPERVISED_CHOICES, SftArguments.class).stream()
                    .collect(Collectors.toMap(ArgumentSpec::name, Function.identity()));

    @Test
    void eachArgumentHasItsAliasesTypeAndDefault() {
        ArgumentSpec rate = described.get("learning_rate");
        assertEquals(List.of("lr"), rate.aliases());
        assertEquals(Type.NUMBER, rate.type());
        assertEquals(List.of(String.valueOf(new SftArguments().learningRate())), rate.defaultValue());
        assertEquals(Type.INTEGER, described.get("lora_rank").type());
        assertEquals(Type.BOOLEAN, described.get("packing").type());
        assertEquals(Type.MAPPING, described.get("columns").type());
        assertEquals(Type.PATH, described.get("resume_from_checkpoint").type());
        assertEquals(List.of(), described.get("resume_from_checkpoint").defaultValue(), "no default, none shown");
        ArgumentSpec targets = described.get("target_modules");
        assertEquals(Type.LIST, targets.type());
        assertEquals(new SftArguments().targetModules(), targets.defaultValue());
    }

    @Test
    void helpAndChoicesAreDescribed() {
        ArgumentSpec trainType = described.get("train_type");
        assertEquals(List.of("lora", "full"), trainType.choices());
        assertEquals(List.of("lora"), trainType.defaultValue());
        assertEquals("lora or full", trainType.help());
        assertTrue(described.get("model").isNamed("model_name_or_path"));
        assertEquals("", described.get("seed").help());
    }

    @Test
    void everyConfigNameIsDescribedOnce() {
        List<ArgumentSpec> all = ArgumentSpecs.describe(Map.of(), SftArguments.class, SftArguments.class);
        assertEquals(described.size(), all.size(), "a second class naming the same arguments adds none");
        assertTrue(
                described.keySet().containsAll(List.of("model", "dataset", "output_dir", "max_steps", "merge_lora")));
    }
}
