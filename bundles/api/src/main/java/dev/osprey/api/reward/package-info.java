/**
 * Reward functions that score completions for GRPO and friends; the extension point third parties implement most often.
 */
@Version("1.0.0")
@Export
package dev.osprey.api.reward;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
