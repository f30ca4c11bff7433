package dev.osprey.api.hardware;

/**
 * One device found by a hardware target.
 *
 * @param id how to select it with {@code --device}
 * @param name the model name as the driver reports it, e.g. {@code NVIDIA H200}
 * @param memoryBytes device memory, or -1 when unknown
 */
public record DeviceInfo(DeviceId id, String name, long memoryBytes) {}
