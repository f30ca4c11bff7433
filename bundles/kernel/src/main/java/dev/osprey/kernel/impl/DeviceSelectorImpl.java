package dev.osprey.kernel.impl;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.hardware.DeviceInfo;
import dev.osprey.api.hardware.DeviceSelector;
import dev.osprey.api.hardware.HardwareReport;
import dev.osprey.api.hardware.HardwareTarget;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;

/**
 * Checks a {@code --device} value against the hardware targets installed and what they detect. Each
 * target's report is cached per service (detection may run {@code nvidia-smi}); an updated target
 * bundle is a new service and is asked again.
 */
@Component(service = DeviceSelector.class)
public class DeviceSelectorImpl implements DeviceSelector {

    private final Map<Long, HardwareReport> reports = new ConcurrentHashMap<>();

    @Reference
    ExtensionRegistryImpl registry;

    @Override
    public DeviceId select(String spec) {
        if (spec != null && spec.trim().equalsIgnoreCase("auto")) {
            return auto();
        }
        DeviceId id = DeviceId.parse(spec);
        HardwareReport report = detect(id.kind());
        if (!report.usable()) {
            throw new IllegalArgumentException("--device " + id + " is not available: "
                    + (report.problems().isEmpty()
                            ? "the " + id.kind() + " target reports it unusable"
                            : String.join(" ", report.problems())));
        }
        boolean present = report.devices().stream().map(DeviceInfo::id).anyMatch(id::equals);
        if (!present) {
            throw new IllegalArgumentException("--device " + id + " does not exist: " + id.kind() + " devices here are "
                    + report.devices().stream().map(d -> d.id().toString()).collect(Collectors.joining(", ")));
        }
        return id;
    }

    private HardwareReport detect(String kind) {
        try (ExtensionHandle<HardwareTarget> target = registry.acquire(HardwareTarget.class, kind)
                .orElseThrow(() -> new IllegalArgumentException("--device " + kind + ": no hardware target named '"
                        + kind + "' is installed; installed: " + installed()))) {
            return reports.computeIfAbsent(
                    target.info().serviceId(), id -> target.get().detect());
        }
    }

    /** The first usable accelerator, else the CPU. */
    private DeviceId auto() {
        for (ExtensionInfo info : registry.list(ExtensionKind.HARDWARE_TARGET)) {
            if (!info.name().equals("cpu")) {
                HardwareReport report = detect(info.name());
                if (report.usable() && !report.devices().isEmpty()) {
                    return report.devices().get(0).id();
                }
            }
        }
        return DeviceId.CPU;
    }

    private String installed() {
        List<String> names = registry.list(ExtensionKind.HARDWARE_TARGET).stream()
                .map(ExtensionInfo::name)
                .toList();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
