package dev.osprey.devtools.impl;

import java.io.PrintWriter;

import picocli.CommandLine;

/** A developer command: it works on the engine's own classes, through the services {@link DevTools} holds. */
abstract class DevCommand {

    DevTools platform;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
