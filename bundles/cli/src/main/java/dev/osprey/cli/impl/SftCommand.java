package dev.osprey.cli.impl;

import dev.osprey.train.sft.SftArguments;
import picocli.CommandLine.Command;

/**
 * {@code osprey sft}: supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's argument names;
 * run {@code osprey sft --help} for them all. Without {@code --model} and {@code --dataset} it fine-tunes the
 * built-in demo ({@code demo/sft.yaml} in the Osprey home).
 */
@Command(name = "sft", mixinStandardHelpOptions = true, modelTransformer = ArgumentOptions.class, sortOptions = false,
        description = "Supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's arguments.")
public class SftCommand extends TrainCommand {

    @Override
    java.nio.file.Path demoConfig() {
        return shippedDemo("sft.yaml");
    }

    @Override
    SftArguments.Stage stage() {
        return SftArguments.Stage.SFT;
    }
}
