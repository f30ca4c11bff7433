package dev.osprey.cli.impl;

import java.io.PrintWriter;

import picocli.CommandLine;

/** A subcommand that uses the platform's services; the factory in {@link OspreyCommand} sets them. */
abstract class PlatformCommand {

    Platform platform;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
