/** What Osprey's HTTP front doors share: the shape of their answers. */
@Version("1.0.0")
@Export
package dev.osprey.api.http;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
