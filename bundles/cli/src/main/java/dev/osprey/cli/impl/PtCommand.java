package dev.osprey.cli.impl;

import dev.osprey.train.sft.SftArguments;
import picocli.CommandLine.Command;

/**
 * {@code osprey pt}: (continued) pre-training on raw text: no chat template, the loss on every token.
 * The same arguments as {@code osprey sft}.
 */
@Command(name = "pt", mixinStandardHelpOptions = true, modelTransformer = ArgumentOptions.class, sortOptions = false,
        description = "Pre-training on raw text (the loss on every token) with ms-swift's arguments.")
public class PtCommand extends TrainCommand {

    @Override
    SftArguments.Stage stage() {
        return SftArguments.Stage.PT;
    }
}
