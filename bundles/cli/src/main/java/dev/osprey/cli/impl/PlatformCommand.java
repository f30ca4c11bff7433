package dev.osprey.cli.impl;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;

import dev.osprey.api.job.Arguments;
import dev.osprey.api.jobs.JobRequest;
import dev.osprey.api.plugin.ExtensionKind;

import picocli.CommandLine;

/** A subcommand that uses the platform's services; the factory in {@link OspreyCommand} sets them. */
abstract class PlatformCommand {

    Platform platform;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /**
     * Runs the job of {@code kind} named {@code name}: submitted to {@code server} and followed ({@code --server
     * URL}), or, without one, through this process's job service on {@code device}.
     *
     * @return the command's exit code
     */
    int runJob(ExtensionKind kind, String name, Map<String, Object> arguments, String server, String device)
            throws IOException, InterruptedException {
        if (server != null) {
            return RemoteJob.run(server, out(), kind, name, arguments, device, 1);
        }
        JobRequest request = new JobRequest(kind, name, Arguments.of(arguments), platform.devices.select(device));
        return LocalJob.run(platform, out(), request, 1);
    }
}
