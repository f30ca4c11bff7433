package dev.osprey.cli.impl;

import java.util.List;

import dev.osprey.api.job.ArgumentSpec;

import picocli.CommandLine.Command;

/**
 * {@code osprey pt}: (continued) pre-training on raw text: no chat template, the loss on every token.
 * The arguments the {@code pt} training method describes (those of {@code osprey sft}).
 */
@Command(
        name = "pt",
        mixinStandardHelpOptions = true,
        modelTransformer = PtCommand.Options.class,
        sortOptions = false,
        description = "Pre-training on raw text (the loss on every token) with ms-swift's arguments.")
public class PtCommand extends TrainCommand {

    static final String METHOD = "pt";

    /** The {@code pt} method's arguments. */
    static final class Options extends ArgumentOptions {
        @Override
        List<ArgumentSpec> arguments() {
            return TrainingMethods.arguments(platform.extensions, METHOD);
        }
    }

    @Override
    String method() {
        return METHOD;
    }
}
