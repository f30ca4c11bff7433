/**
 * Training methods (pt, sft, dpo, kto, simpo, orpo, cpo, rm, grpo, ...).
 */
@Version("1.1.0")
@Export
package dev.osprey.api.train;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
