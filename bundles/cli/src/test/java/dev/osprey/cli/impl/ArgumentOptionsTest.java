package dev.osprey.cli.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.osprey.api.job.ArgumentSpec;
import dev.osprey.api.job.ArgumentSpec.Type;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** A training command's options come from the arguments a method describes; values layer over a config file. */
class ArgumentOptionsTest {

    static final List<ArgumentSpec> DESCRIBED = List.of(
            new ArgumentSpec("model", List.of("model_name_or_path"), Type.TEXT, List.of(), "a model folder", List.of()),
            new ArgumentSpec("dataset", List.of("train_dataset"), Type.LIST, List.of(), "", List.of()),
            new ArgumentSpec("lora_rank", List.of("lora_r"), Type.INTEGER, List.of("8"), "", List.of()),
            new ArgumentSpec("target_modules", List.of(), Type.LIST, List.of("all-linear"), "", List.of()),
            new ArgumentSpec("packing", List.of(), Type.BOOLEAN, List.of("false"), "pack samples", List.of()),
            new ArgumentSpec(
                    "train_type", List.of(), Type.TEXT, List.of("lora"), "lora or full", List.of("lora", "full")),
            new ArgumentSpec("columns", List.of(), Type.MAPPING, List.of(), "", List.of()));

    /** The options of {@link DESCRIBED}. */
    public static final class Described extends ArgumentOptions {
        @Override
        List<ArgumentSpec> arguments() {
            return DESCRIBED;
        }
    }

    @Command(name = "train", modelTransformer = Described.class, mixinStandardHelpOptions = true)
    static final class Train implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return 0;
        }
    }

    private static ArgumentOptions.Values parse(String... args) throws Exception {
        Train train = new Train();
        new CommandLine(train).parseArgs(args);
        return ArgumentOptions.values(train.spec, null);
    }

    @Test
    void namesAliasesTypesAndDefaultsBecomeOptions() {
        StringWriter help = new StringWriter();
        new CommandLine(new Train()).usage(new PrintWriter(help));
        assertTrue(help.toString().contains("--model, --model_name_or_path=VALUE"), help.toString());
        assertTrue(help.toString().contains("--lora_r, --lora_rank=NUMBER"), help.toString());
        assertTrue(
                help.toString().contains("--target_modules=VALUE...")
                        && help.toString().contains("(default: [all-linear])"),
                help.toString());
        assertTrue(help.toString().contains("--packing[=BOOL]"), help.toString());
        assertTrue(help.toString().contains("lora or full (default: lora)"), help.toString());
    }

    @Test
    void aliasesTypedOnTheCommandLineAreTakenByTheirMsSwiftName() throws Exception {
        ArgumentOptions.Values values = parse(
                "--model_name_or_path",
                "m",
                "--lora_r",
                "4",
                "--packing",
                "--train_dataset",
                "a",
                "b",
                "--columns",
                "{\"instruction\": \"query\"}");
        assertEquals(
                Map.of(
                        "model",
                        "m",
                        "lora_rank",
                        "4",
                        "packing",
                        "true",
                        "dataset",
                        List.of("a", "b"),
                        "columns",
                        Map.of("instruction", "query")),
                values.values());
        assertEquals("command line", values.source());
        assertEquals(
                "{\"instruction\":\"query\"}",
                values.arguments().getString("columns").orElseThrow());
    }

    @Test
    void theCommandLineOverridesTheConfigFileWhoseAliasesAreCanonical(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(
                dir.resolve("run.yaml"), "model_name_or_path: base\nlora_r: 16\ntrain_dataset: d.jsonl\n");
        ArgumentOptions.Values values = parse("--config", config.toString(), "--lora_rank", "2");
        assertEquals(Map.of("model", "base", "lora_rank", "2", "dataset", "d.jsonl"), values.values());
        assertEquals(config + " and the command line", values.source());
    }

    @Test
    void anUnknownNameInTheConfigFileIsNamedWithTheFileAndTheClosestName(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("run.json"), "{\"model\": \"m\", \"lora_rnak\": 4}");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> parse("--config", config.toString()));
        assertEquals(
                config + " and the command line: unknown argument 'lora_rnak'; did you mean 'lora_rank'?",
                e.getMessage());
        IllegalArgumentException missing = assertThrows(
                IllegalArgumentException.class,
                () -> parse("--config", dir.resolve("no.yaml").toString()));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}
