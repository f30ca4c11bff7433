package dev.osprey.api.plugin;

import java.util.Objects;

/**
 * One published extension: its kind and name, and the bundle that provides it.
 *
 * @param kind the extension kind
 * @param name the name users select it by
 * @param description one line, may be empty
 * @param bundleSymbolicName the providing bundle
 * @param bundleVersion the providing bundle's version
 * @param serviceId the OSGi service id, unique while the service is registered
 */
public record ExtensionInfo(
        ExtensionKind kind,
        String name,
        String description,
        String bundleSymbolicName,
        String bundleVersion,
        long serviceId) {

    public ExtensionInfo {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
    }

    /** {@code kind:name}, e.g. {@code reward:accuracy}. */
    @Override
    public String toString() {
        return kind.label() + ":" + name;
    }
}
