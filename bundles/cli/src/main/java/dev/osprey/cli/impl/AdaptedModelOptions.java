package dev.osprey.cli.impl;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Option;

/**
 * The model a job over a finished model works on ({@code osprey export}, {@code osprey eval}): {@code --model} and the
 * {@code --adapters} merged into it, by ms-swift's names.
 */
final class AdaptedModelOptions {

    @Option(
            names = {"--model", "--model_name_or_path"},
            paramLabel = "MODEL",
            description = "the base model (folder or hub id); default: the one the adapter's adapter_config.json names")
    String model;

    @Option(
            names = "--adapters",
            paramLabel = "DIR",
            split = ",",
            description = "PEFT LoRA adapter folder(s), merged into the base in order")
    private List<Path> adapters;

    /** The {@code --adapters} given, in order; empty for none. */
    List<Path> adapters() {
        return adapters == null ? List.of() : adapters;
    }

    /** These options as job arguments, paths absolute. */
    void putInto(Map<String, Object> args) {
        if (model != null) {
            args.put("model", model);
        }
        if (!adapters().isEmpty()) {
            args.put(
                    "adapters",
                    adapters().stream().map(a -> a.toAbsolutePath().toString()).toList());
        }
    }
}
