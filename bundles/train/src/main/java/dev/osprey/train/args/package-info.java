/** The arguments of the built-in training methods, described for the API from their arguments classes. */
@Version("1.0.0")
@Export
package dev.osprey.train.args;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
