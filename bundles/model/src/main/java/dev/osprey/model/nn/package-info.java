/**
 * Transformer building blocks on DJL NDArrays: parameters named by checkpoint keys, linear layers
 * (with unmerged LoRA and DoRA adapters, and 4-/8-bit quantized frozen weights for QLoRA), RMSNorm and
 * rotary position embeddings. Platform-internal: exported
 * for Osprey's model bundles, not part of the API third parties compile against.
 */
@Version("1.5.0")
@Export
package dev.osprey.model.nn;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
