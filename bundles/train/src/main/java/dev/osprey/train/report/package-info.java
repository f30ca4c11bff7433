/** Reports of a training run: the loss plot. */
@Version("2.0.0")
@Export
package dev.osprey.train.report;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
