/**
 * What a running job (training, evaluation, export) receives from the platform: its arguments, output folder,
 * progress reporting, device and extensions; and how a job extension describes the arguments it takes.
 */
@Version("1.1.0")
@Export
package dev.osprey.api.job;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
