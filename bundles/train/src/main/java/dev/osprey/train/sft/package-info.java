/**
 * Supervised fine-tuning on DJL: conversations encoded through a chat template with the loss on the
 * assistant's answers only, batches with padding, LoRA adapters on chosen linear layers, and the
 * training loop (AdamW, schedule, clipping, gradient accumulation). Platform-internal; the CLI and the
 * Java API of the training issue drive it.
 */
@Version("3.2.0")
@Export
package dev.osprey.train.sft;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
