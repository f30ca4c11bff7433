package dev.osprey.cli.impl;

import java.util.concurrent.Callable;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.api.hardware.HardwareTarget;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** What each hardware target finds here; with {@code --device}, whether that device can be used. */
@Command(
        name = "devices",
        mixinStandardHelpOptions = true,
        description = "Detect CPUs, NVIDIA GPUs and Ascend NPUs, and check a --device value.")
public class DevicesCommand extends PlatformCommand implements Callable<Integer> {

    @Option(names = "--device", paramLabel = "DEVICE", description = "check this device: cpu, cuda:N, npu:N or auto")
    String device;

    @Override
    public Integer call() {
        for (ExtensionInfo info : platform.extensions.list(ExtensionKind.HARDWARE_TARGET)) {
            try (ExtensionHandle<HardwareTarget> target =
                    platform.extensions.require(HardwareTarget.class, info.name())) {
                print(target.get().detect());
            }
        }
        if (device != null) {
            DeviceId id = platform.devices.select(device);
            out().println("--device " + device + ": " + id + " is usable");
        }
        return 0;
    }

    private void print(HardwareReport r) {
        out().printf("%-5s %s%n", r.kind(), r.usable() ? "usable" : "not usable");
        r.devices()
                .forEach(d -> out().printf(
                                "      %-7s %s%s%n",
                                d.id(),
                                d.name(),
                                d.memoryBytes() > 0
                                        ? String.format(" (%.1f GiB)", d.memoryBytes() / (double) (1L << 30))
                                        : ""));
        if (!r.capabilities().isEmpty()) {
            out().println("      can: " + String.join(", ", r.capabilities()));
        }
        if (!r.nativePackage().isEmpty()) {
            out().println("      native package: " + r.nativePackage());
        }
        r.problems().forEach(p -> out().println("      ! " + p));
        r.notes().forEach(n -> out().println("      " + n));
    }
}
