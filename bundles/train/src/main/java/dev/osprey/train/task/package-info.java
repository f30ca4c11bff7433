/**
 * Fine-tuning tasks beyond causal LM, by ms-swift's {@code --task_type}: the sequence classifier
 * ({@code seq_cls}) with its losses, examples and objective, and the job that trains them on the one Trainer.
 */
@Version("1.0.0")
@Export
package dev.osprey.train.task;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
