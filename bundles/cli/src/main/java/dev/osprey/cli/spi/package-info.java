/**
 * For bundles that add commands to {@code osprey}: the contribution service, and the model options the built-in
 * commands share with contributed ones. The commands are picocli commands.
 */
@Version("1.0.0")
@Export
package dev.osprey.cli.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
