/**
 * One rendering of the plugin inventory, shared by the command line, the Gogo shell and
 * {@code GET /api/plugins}. Platform-internal: exported for Osprey's own bundles, not part of the API
 * third parties compile against.
 */
@Version("1.0.0")
@Export
package dev.osprey.kernel.report;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
