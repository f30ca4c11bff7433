/**
 * Inference backends (the built-in DJL engine, remote OpenAI-compatible servers) and the requests they serve.
 */
@Version("1.2.0")
@Export
package dev.osprey.api.inference;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
