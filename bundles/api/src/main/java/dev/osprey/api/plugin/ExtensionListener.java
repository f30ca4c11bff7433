package dev.osprey.api.plugin;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard listener: register a service of this type to hear when extensions arrive and leave.
 *
 * <p>Called synchronously on the thread that registered or unregistered the extension's service (often
 * a bundle start or stop): return quickly and never block on the extension itself. A listener that
 * throws is logged and skipped; the others are still called. When a listener registers, it is told about
 * every extension already present.
 */
@ConsumerType
public interface ExtensionListener {

    /** An extension became usable. */
    void added(ExtensionInfo extension);

    /** An extension is going away; calls already running on it may still finish. */
    void removed(ExtensionInfo extension);
}
