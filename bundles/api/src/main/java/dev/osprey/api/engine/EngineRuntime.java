package dev.osprey.api.engine;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.osprey.api.hardware.DeviceId;

/**
 * The initialised tensor engine: DJL with the PyTorch engine, its native libraries, and the Hugging
 * Face tokenizers' native library.
 *
 * <p>The engine bundle registers this service only after the engine started successfully, so a
 * component that references it is activated only when DJL is usable; this also makes the engine bundle
 * the first to touch DJL's {@code Engine}, which fixes the engine for the whole JVM. The engine bundle is
 * installed by the launcher and is never refreshed (a native library can be loaded by one class loader
 * only): a DJL upgrade is a restart. Thread-safe.
 */
@ProviderType
public interface EngineRuntime {

    /** The engine name, e.g. {@code PyTorch}. */
    String engineName();

    /** The engine's native version, e.g. {@code 2.7.1}. */
    String engineVersion();

    /** The DJL version, e.g. {@code 0.36.0}. */
    String djlVersion();

    /** The devices the loaded native library can run on; always contains the CPU. */
    List<Device> devices();

    /**
     * A new root manager for one job or one loaded model. The caller owns it and must close it, which
     * frees every array it created.
     */
    NDManager newManager(Device device);

    /**
     * The engine's device for a {@code --device} value: {@code cpu} is the CPU, {@code cuda:N} DJL's GPU N, any
     * other kind DJL's device of that name and index.
     */
    default Device device(DeviceId id) {
        return switch (id.kind()) {
            case "cpu" -> Device.cpu();
            case "cuda" -> Device.gpu(id.index());
            default -> Device.of(id.kind(), id.index());
        };
    }

    /** {@link #newManager(Device)} on the device a {@code --device} value names. */
    default NDManager newManager(DeviceId id) {
        return newManager(device(id));
    }
}
