/**
 * Transformer building blocks on DJL NDArrays: parameters named by checkpoint keys, linear layers
 * (with unmerged LoRA adapters), RMSNorm and rotary position embeddings. Platform-internal: exported
 * for Osprey's model bundles, not part of the API third parties compile against.
 */
@Version("1.0.0")
@Export
package dev.osprey.model.nn;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
