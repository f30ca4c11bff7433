package dev.osprey.hardware.ascend.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Component;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.api.hardware.HardwareTarget;
import dev.osprey.hardware.support.Command;

/**
 * The Huawei Ascend NPU target ({@code --device npu:N}). It finds NPUs with {@code npu-smi info -l}, or
 * through the {@code /dev/davinciN} device nodes where that program is missing, but never reports them
 * usable: DJL, Osprey's tensor engine, has no Ascend (CANN) engine. What the NPUs can do for Osprey is
 * serve a remote OpenAI-compatible inference server, which the report points to.
 */
@Component(service = HardwareTarget.class)
public final class AscendTarget implements HardwareTarget {

    static final List<String> NPU_SMI = List.of("npu-smi", "info", "-l");

    private static final long TIMEOUT_SECONDS = 5;
    private static final Pattern DAVINCI = Pattern.compile("davinci(\\d+)");

    /** What the parsing of {@code npu-smi info -l} found: NPUs, and lines it could not read. */
    record SmiResult(List<DeviceInfo> devices, List<String> problems) {}

    private final Function<List<String>, Optional<Command.Result>> runner;
    private final Path devRoot;

    /** Used by Declarative Services: runs the real {@code npu-smi} and looks in the real {@code /dev}. */
    public AscendTarget() {
        this(command -> Command.run(command, TIMEOUT_SECONDS), Path.of("/dev"));
    }

    /**
     * For tests.
     *
     * @param runner runs a command; empty when the program is not installed
     * @param devRoot stands for {@code /dev}
     */
    AscendTarget(Function<List<String>, Optional<Command.Result>> runner, Path devRoot) {
        this.runner = runner;
        this.devRoot = devRoot;
    }

    @Override
    public String name() {
        return "npu";
    }

    @Override
    public String description() {
        return "Huawei Ascend NPUs (detected; usable through a remote inference server only)";
    }

    @Override
    public HardwareReport detect() {
        List<DeviceInfo> devices = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String smiFailure;

        Optional<Command.Result> smi = Command.attempt(runner, NPU_SMI);
        if (Command.succeeded(smi)) {
            SmiResult parsed = parseNpuSmiList(smi.get().output());
            devices.addAll(parsed.devices());
            problems.addAll(parsed.problems());
            smiFailure = "npu-smi lists no NPU";
        } else {
            smiFailure = Command.failure(smi, "npu-smi");
        }
        if (devices.isEmpty()) {
            for (int index : davinciIndices(devRoot)) {
                devices.add(new DeviceInfo(new DeviceId("npu", index), "Ascend NPU (/dev/davinci" + index + ")", -1));
            }
            if (!devices.isEmpty()) {
                notes.add("NPUs found through their /dev/davinciN device nodes because " + smiFailure);
            }
        }

        if (devices.isEmpty()) {
            problems.add("no Ascend NPU found: " + smiFailure + " and /dev has no davinciN device node");
            problems.add("DJL, Osprey's tensor engine, has no Ascend (CANN) engine, so even with NPUs present"
                    + " Osprey cannot train or infer on them in this process");
            return new HardwareReport(name(), List.of(), false, Set.of(), "", problems, notes);
        }
        String list = devices.stream().map(d -> d.id() + " " + d.name()).collect(Collectors.joining(", "));
        problems.add("Ascend NPUs found (" + list + ") but DJL, Osprey's tensor engine, has no Ascend (CANN)"
                + " engine, so Osprey cannot train or infer on them in this process; route inference to a"
                + " server on the NPUs with --infer_backend remote");
        notes.add("inference can be routed to a remote OpenAI-compatible server running on these NPUs (for"
                + " example vLLM-Ascend or LMDeploy) with --infer_backend remote; training stays on the CPU");
        return new HardwareReport(name(), devices, false, Set.of(HardwareReport.REMOTE_INFER), "", problems, notes);
    }

    /**
     * Parses {@code npu-smi info -l}: blocks of {@code key : value} lines, each starting with
     * {@code NPU ID}, with the model in {@code Product Name} (or {@code Name}). Other keys ({@code Total
     * Count}, {@code Serial Number}, {@code Chip Count}) are ignored; an unreadable NPU ID becomes a problem.
     * Memory is not listed there. Never throws.
     */
    static SmiResult parseNpuSmiList(String output) {
        List<DeviceInfo> devices = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int index = -1;
        String name = null;
        for (String line : output.split("\\R")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("npu id")) {
                if (index >= 0) {
                    devices.add(npu(index, name));
                }
                name = null;
                index = parseIndex(value);
                if (index < 0) {
                    problems.add("cannot read npu-smi line '" + line.trim() + "': the NPU ID is not a number");
                }
            } else if ((key.equals("product name") || key.equals("name")) && !value.isEmpty()) {
                name = value;
            }
        }
        if (index >= 0) {
            devices.add(npu(index, name));
        }
        return new SmiResult(devices, problems);
    }

    /** The N of each {@code davinciN} in {@code devRoot}, sorted; {@code davinci_manager} and the like are not NPUs. */
    static Set<Integer> davinciIndices(Path devRoot) {
        Set<Integer> indices = new TreeSet<>();
        try (Stream<Path> files = Files.list(devRoot)) {
            files.forEach(file -> {
                Matcher m = DAVINCI.matcher(file.getFileName().toString());
                if (m.matches() && m.group(1).length() < 9) {
                    indices.add(Integer.parseInt(m.group(1)));
                }
            });
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
        return indices;
    }

    private static DeviceInfo npu(int index, String name) {
        return new DeviceInfo(new DeviceId("npu", index), name == null ? "Ascend NPU" : name, -1);
    }

    private static int parseIndex(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
