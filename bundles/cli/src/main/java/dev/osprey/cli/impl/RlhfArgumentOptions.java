package dev.osprey.cli.impl;

import java.util.List;

import dev.osprey.api.job.ArgumentSpec;

/** The options of {@code osprey rlhf}: every argument the installed alignment methods describe. */
class RlhfArgumentOptions extends ArgumentOptions {

    @Override
    List<ArgumentSpec> arguments() {
        return TrainingMethods.alignmentArguments(platform.extensions);
    }
}
