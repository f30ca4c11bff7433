/**
 * The one training loop of every method: the {@link dev.osprey.train.loop.Trainer} owns epochs and steps,
 * the seeded data order, gradient accumulation, clipping, the learning-rate schedule, evaluation,
 * checkpoints, resume, {@code logging.jsonl} and the loss plot; a method brings only its
 * {@link dev.osprey.train.loop.Objective}, the loss (and metrics) of one micro-batch.
 */
@Version("1.0.0")
@Export
package dev.osprey.train.loop;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
