/**
 * Running the reward functions of a GRPO job: weights, a timeout per call, and a failure policy, with
 * every failure reported by the function's name and providing bundle. Platform-internal.
 */
@Version("1.0.0")
@Export
package dev.osprey.align.reward;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
