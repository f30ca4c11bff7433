/**
 * Model architectures on DJL, model configuration, the model registry (data contributed by model bundles), and
 * the {@link dev.osprey.api.model.ModelService} that finds and loads models.
 */
@Version("1.4.0")
@Export
package dev.osprey.api.model;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
