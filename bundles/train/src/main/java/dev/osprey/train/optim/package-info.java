/**
 * Optimisation on DJL arrays as Hugging Face's Trainer does it: AdamW with decoupled weight decay,
 * learning-rate schedules with warmup, and global gradient-norm clipping. Platform-internal.
 */
@Version("1.1.0")
@Export
package dev.osprey.train.optim;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
