package dev.osprey.api.hardware;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Turns a {@code --device} value into a device that is really there, or fails with a message that says
 * what is missing (no such target, no such device index, driver or native package missing).
 */
@ProviderType
public interface DeviceSelector {

    /**
     * @param spec {@code cpu}, {@code cuda:N}, {@code npu:N}, or {@code auto} for the best usable device
     * @return the device, present and usable in this process
     * @throws IllegalArgumentException when the spec is malformed or the device is unavailable; the message
     *         names the device, the reason and the fix
     */
    DeviceId select(String spec);
}
