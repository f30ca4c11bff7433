package dev.osprey.hardware.cpu.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.api.hardware.HardwareTarget;

/**
 * The CPU target ({@code --device cpu}). Always usable: the engine bundle ships the PyTorch CPU natives,
 * so training and inference run here on any machine. Detection only reads {@code /proc} to describe the
 * processor and the memory; where {@code /proc} is missing (not Linux) the report says less, never fails.
 */
@Component(service = HardwareTarget.class)
public final class CpuTarget implements HardwareTarget {

    /** The native package the engine bundle embeds for this target. */
    static final String NATIVE_PACKAGE = "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64";

    private final Path procRoot;

    /** Used by Declarative Services: reads the real {@code /proc}. */
    public CpuTarget() {
        this(Path.of("/proc"));
    }

    /** For tests: {@code procRoot} stands for {@code /proc}. */
    CpuTarget(Path procRoot) {
        this.procRoot = procRoot;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "the host CPU, through the PyTorch CPU natives in the engine bundle";
    }

    @Override
    public HardwareReport detect() {
        return report(procRoot, Runtime.getRuntime().availableProcessors());
    }

    static HardwareReport report(Path procRoot, int cores) {
        String model = modelName(readLines(procRoot.resolve("cpuinfo")));
        long memory = memTotalBytes(readLines(procRoot.resolve("meminfo")));
        String coreText = cores + (cores == 1 ? " core" : " cores");
        String name = (model.isEmpty() ? "CPU" : model) + " (" + coreText + ")";
        return new HardwareReport(
                "cpu",
                List.of(new DeviceInfo(DeviceId.CPU, name, memory)),
                true,
                Set.of(HardwareReport.TRAIN, HardwareReport.INFER),
                NATIVE_PACKAGE,
                List.of(),
                List.of(coreText + " available to Osprey"));
    }

    /** The first {@code model name} in {@code /proc/cpuinfo}, or empty (ARM kernels often leave it out). */
    static String modelName(List<String> cpuinfo) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
                return line.substring(colon + 1).trim().replaceAll("\\s+", " ");
            }
        }
        return "";
    }

    /** {@code MemTotal} of {@code /proc/meminfo} in bytes (the file gives kB), or -1 when unknown. */
    static long memTotalBytes(List<String> meminfo) {
        for (String line : meminfo) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
                try {
                    long value = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024 : value;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
