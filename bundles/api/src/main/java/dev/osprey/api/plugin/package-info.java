/**
 * The plugin inventory and the extension registry: which bundles are installed, what each provides, why a plugin failed, and notifications when extensions come and go.
 */
@Version("1.1.0")
@Export
package dev.osprey.api.plugin;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
