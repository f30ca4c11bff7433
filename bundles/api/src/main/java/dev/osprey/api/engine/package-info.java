/**
 * The tensor engine (DJL on PyTorch), published as a service only once it is initialised, so that bundles which need it start after it.
 */
@Version("1.2.0")
@Export
package dev.osprey.api.engine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
