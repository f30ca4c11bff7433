/**
 * The plugin inventory as JSON for {@code GET /api/plugins} (each entry as the API's {@code PluginInfo.toMap()}
 * writes it). Platform-internal: exported for Osprey's own bundles, not part of the API
 * third parties compile against.
 */
@Version("2.0.0")
@Export
package dev.osprey.kernel.report;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
