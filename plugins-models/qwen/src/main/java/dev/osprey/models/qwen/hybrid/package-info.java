/**
 * Qwen3-Next's hybrid decoder as a block other families compose: gated DeltaNet linear attention and gated full
 * attention as {@code layer_types} says, zero-centred RMSNorms, over a {@code text_config}. Qwen3.5's
 * vision-language models (the qwen-vl bundle) put their vision tower before it.
 */
@Version("1.0.0")
@Export(substitution = Export.Substitution.NOIMPORT)
package dev.osprey.models.qwen.hybrid;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
