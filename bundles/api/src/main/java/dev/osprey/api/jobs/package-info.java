/**
 * The job service: one place that runs every long task (training, evaluation, export) for the CLI, the
 * HTTP API and the web UI alike, queues them per device, streams their progress and keeps their records.
 */
@Version("1.0.0")
@Export
package dev.osprey.api.jobs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
