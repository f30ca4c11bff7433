package dev.osprey.cli.impl;

import dev.osprey.train.sft.SftArguments;
import picocli.CommandLine.Command;

/**
 * {@code osprey sft}: supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's argument names;
 * run {@code osprey sft --help} for them all.
 */
@Command(name = "sft", mixinStandardHelpOptions = true, modelTransformer = ArgumentOptions.class, sortOptions = false,
        description = "Supervised fine-tuning (LoRA, DoRA, QLoRA or full) with ms-swift's arguments.")
public class SftCommand extends TrainCommand {

    @Override
    SftArguments.Stage stage() {
        return SftArguments.Stage.SFT;
    }
}
