/**
 * Exporters: merge adapters, quantize (GPTQ, AWQ, GGUF) and convert models.
 */
@Version("1.1.0")
@Export
package dev.osprey.api.export;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
