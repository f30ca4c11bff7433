/**
 * Token generation over any {@link dev.osprey.api.model.LanguageModel}: greedy and sampled decoding
 * with the usual logits processors, stop conditions and streaming. Platform-internal.
 */
@Version("1.2.0")
@Export
package dev.osprey.model.generate;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
