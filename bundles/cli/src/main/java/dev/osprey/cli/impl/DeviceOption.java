package dev.osprey.cli.impl;

import picocli.CommandLine.Option;

/** The {@code --device} option, shared by every command that runs tensors. */
public class DeviceOption {

    @Option(
            names = "--device",
            paramLabel = "DEVICE",
            defaultValue = "cpu",
            description = "cpu, cuda:N, npu:N or auto (default: ${DEFAULT-VALUE})")
    String device;
}
