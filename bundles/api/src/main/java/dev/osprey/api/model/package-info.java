/**
 * Model architectures on DJL, model configuration, and the model registry (data contributed by model bundles).
 */
@Version("1.1.0")
@Export
package dev.osprey.api.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
