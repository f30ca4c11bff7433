package dev.osprey.hardware.cuda.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.api.hardware.HardwareTarget;
import dev.osprey.hardware.support.Command;

/**
 * The NVIDIA GPU target ({@code --device cuda:N}). It finds GPUs with {@code nvidia-smi}, or through
 * {@code /proc/driver/nvidia} where that program is missing, but never reports them usable: the engine
 * bundle embeds only the PyTorch CPU natives, and loading a second native engine is not allowed. The
 * report therefore names the CUDA native package the engine would need and points to a remote
 * inference backend, which can use the GPUs from its own process.
 */
@Component(service = HardwareTarget.class)
public final class CudaTarget implements HardwareTarget {

    /** The PyTorch native package an engine bundle would have to embed to run on these GPUs. */
    static final String NATIVE_PACKAGE = "ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64";

    static final List<String> NVIDIA_SMI = List.of(
            "nvidia-smi", "--query-gpu=index,name,memory.total,driver_version", "--format=csv,noheader,nounits");

    private static final long TIMEOUT_SECONDS = 5;
    private static final long MIB = 1024L * 1024;

    /** What the parsing of {@code nvidia-smi} CSV found: GPUs, driver versions, and lines it could not read. */
    record SmiResult(List<DeviceInfo> devices, Set<String> driverVersions, List<String> problems) {}

    private final Function<List<String>, Optional<Command.Result>> runner;
    private final Path procRoot;

    /** Used by Declarative Services: runs the real {@code nvidia-smi} and reads the real {@code /proc}. */
    public CudaTarget() {
        this(command -> Command.run(command, TIMEOUT_SECONDS), Path.of("/proc"));
    }

    /**
     * For tests.
     *
     * @param runner runs a command; empty when the program is not installed
     * @param procRoot stands for {@code /proc}
     */
    CudaTarget(Function<List<String>, Optional<Command.Result>> runner, Path procRoot) {
        this.runner = runner;
        this.procRoot = procRoot;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return "NVIDIA GPUs (detected; the engine needs the CUDA natives to use them)";
    }

    @Override
    public HardwareReport detect() {
        List<DeviceInfo> devices = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String smiFailure;

        Optional<Command.Result> smi = Command.attempt(runner, NVIDIA_SMI);
        if (Command.succeeded(smi)) {
            SmiResult parsed = parseNvidiaSmi(smi.get().output());
            devices.addAll(parsed.devices());
            problems.addAll(parsed.problems());
            parsed.driverVersions().forEach(v -> notes.add("NVIDIA driver " + v));
            smiFailure = "nvidia-smi lists no GPU";
        } else {
            smiFailure = Command.failure(smi, "nvidia-smi");
            Path nvidia = procRoot.resolve("driver/nvidia");
            if (Files.isDirectory(nvidia)) {
                devices.addAll(procGpus(nvidia.resolve("gpus")));
                if (devices.isEmpty()) {
                    smiFailure += " and /proc/driver/nvidia/gpus lists no GPU";
                } else {
                    notes.add("GPUs found through /proc/driver/nvidia because " + smiFailure);
                }
            } else {
                smiFailure += " and /proc/driver/nvidia does not exist";
            }
        }

        if (devices.isEmpty()) {
            problems.add("no NVIDIA GPU found: " + smiFailure);
            return new HardwareReport(name(), List.of(), false, Set.of(), NATIVE_PACKAGE, problems, notes);
        }
        String list = devices.stream().map(d -> d.id() + " " + d.name()).collect(Collectors.joining(", "));
        problems.add("NVIDIA GPUs found (" + list + ") but Osprey's engine bundle carries only the PyTorch CPU"
                + " natives (pytorch-native-cpu), so it cannot train or infer on them in this process");
        problems.add("using them needs the native package " + NATIVE_PACKAGE + ", which is not available from"
                + " Maven Central here: the engine bundle must be rebuilt with it embedded; until then route"
                + " inference to a remote backend on these GPUs, e.g. --infer_backend vllm");
        notes.add("inference can run on these GPUs through a remote inference server (e.g. vLLM with"
                + " --infer_backend vllm); training stays on the CPU");
        return new HardwareReport(
                name(), devices, false, Set.of(HardwareReport.REMOTE_INFER), NATIVE_PACKAGE, problems, notes);
    }

    /**
     * Parses the output of {@code nvidia-smi --query-gpu=index,name,memory.total,driver_version
     * --format=csv,noheader,nounits}: one line per GPU, e.g. {@code 0, NVIDIA H200, 143771, 570.124.06},
     * memory in MiB. A line that cannot be read becomes a problem; it never throws.
     */
    static SmiResult parseNvidiaSmi(String output) {
        List<DeviceInfo> devices = new ArrayList<>();
        Set<String> drivers = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (String raw : output.split("\\R")) {
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(",");
            if (fields.length < 4) {
                problems.add(
                        "cannot read nvidia-smi line '" + line + "': expected index, name, memory, driver version");
                continue;
            }
            int last = fields.length - 1;
            // a name with commas in it spans several fields: index first, memory and driver last
            String name =
                    Stream.of(fields).skip(1).limit(last - 2L).map(String::trim).collect(Collectors.joining(", "));
            int index;
            try {
                index = Integer.parseInt(fields[0].trim());
                if (index < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                problems.add("cannot read nvidia-smi line '" + line + "': the GPU index is not a number");
                continue;
            }
            devices.add(new DeviceInfo(
                    new DeviceId("cuda", index),
                    name.isEmpty() ? "NVIDIA GPU" : name,
                    mibToBytes(fields[last - 1].trim())));
            String driver = fields[last].trim();
            if (!driver.isEmpty() && !driver.startsWith("[")) {
                drivers.add(driver);
            }
        }
        return new SmiResult(devices, drivers, problems);
    }

    /**
     * GPUs listed under {@code /proc/driver/nvidia/gpus/<PCI address>/information}, numbered in PCI order
     * (the order {@code nvidia-smi} uses); memory is not given there.
     */
    static List<DeviceInfo> procGpus(Path gpusDir) {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(gpusDir)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        List<DeviceInfo> devices = new ArrayList<>();
        for (Path dir : dirs) {
            String model = "NVIDIA GPU";
            for (String line : readLines(dir.resolve("information"))) {
                int colon = line.indexOf(':');
                if (colon > 0
                        && line.substring(0, colon).trim().equals("Model")
                        && !line.substring(colon + 1).isBlank()) {
                    model = line.substring(colon + 1).trim();
                }
            }
            devices.add(new DeviceInfo(new DeviceId("cuda", devices.size()), model + " at " + dir.getFileName(), -1));
        }
        return devices;
    }

    private static long mibToBytes(String text) {
        try {
            return Long.parseLong(text) * MIB;
        } catch (NumberFormatException e) {
            return -1; // "[N/A]" on some boards
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
