package dev.osprey.cli.impl;

import java.util.List;

import dev.osprey.align.rlhf.RlhfArguments;
import dev.osprey.train.sft.SftArguments;

/** The options of {@code osprey rlhf}: every {@link SftArguments} option and every {@link RlhfArguments} one. */
class RlhfArgumentOptions extends ArgumentOptions {

    @Override
    List<Class<?>> argumentClasses() {
        return List.of(SftArguments.class, RlhfArguments.class);
    }
}
