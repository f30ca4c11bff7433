/**
 * Hardware targets (CPU, CUDA, Ascend NPU): detection, devices, and the {@code --device} option.
 */
@Version("1.0.0")
@Export
package dev.osprey.api.hardware;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
