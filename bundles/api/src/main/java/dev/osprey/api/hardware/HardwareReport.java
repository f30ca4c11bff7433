package dev.osprey.api.hardware;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a hardware target found on this machine.
 *
 * @param kind the target's name, as in {@code --device}
 * @param devices the devices found; empty when none
 * @param usable true when Osprey can run tensors on these devices in this process (hardware, driver and
 *        the engine's native package all present)
 * @param capabilities what Osprey can do with this target here, from {@link #TRAIN}, {@link #INFER},
 *        {@link #REMOTE_INFER}
 * @param nativePackage the Maven coordinates of the PyTorch native package this target needs, or empty
 * @param problems why the target is not usable, one clear sentence each (what is missing and how to fix it)
 * @param notes facts worth printing (driver version, what a remote backend can do instead)
 */
public record HardwareReport(
        String kind,
        List<DeviceInfo> devices,
        boolean usable,
        Set<String> capabilities,
        String nativePackage,
        List<String> problems,
        List<String> notes) {

    /** Training runs on this target in this process. */
    public static final String TRAIN = "train";
    /** Inference runs on this target in this process. */
    public static final String INFER = "infer";
    /** Inference can be routed to a server on this hardware through a remote inference backend. */
    public static final String REMOTE_INFER = "remote-infer";

    public HardwareReport {
        Objects.requireNonNull(kind, "kind");
        devices = List.copyOf(devices);
        capabilities = Set.copyOf(capabilities);
        nativePackage = nativePackage == null ? "" : nativePackage;
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }
}
