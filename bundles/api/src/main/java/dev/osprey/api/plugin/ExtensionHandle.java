package dev.osprey.api.plugin;

import org.osgi.annotation.versioning.ProviderType;

import dev.osprey.api.Extension;

/**
 * An extension taken by a job for its whole run. The job keeps the instance it started with even if the
 * providing bundle is updated or removed meanwhile; {@link #isAvailable()} then turns false and the job
 * decides whether to go on with the old instance or to stop cleanly with a message. Close the handle
 * when the job ends so the service can be released.
 *
 * @param <T> the extension type
 */
@ProviderType
public interface ExtensionHandle<T extends Extension> extends AutoCloseable {

    /** The instance taken when the handle was acquired; the same object for the handle's whole life. */
    T get();

    /** Which extension this is and which bundle provides it. */
    ExtensionInfo info();

    /** False once the providing service was unregistered (its bundle stopped, updated or removed). */
    boolean isAvailable();

    /** Releases the service. Idempotent. */
    @Override
    void close();
}
