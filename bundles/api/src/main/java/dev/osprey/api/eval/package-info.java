/**
 * Evaluators: benchmarks run against a model.
 */
@Version("1.1.0")
@Export
package dev.osprey.api.eval;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
