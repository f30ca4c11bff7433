/**
 * The root of Osprey's API: the {@link dev.osprey.api.Extension} every extension point shares.
 */
@Version("1.0.0")
@Export
package dev.osprey.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
