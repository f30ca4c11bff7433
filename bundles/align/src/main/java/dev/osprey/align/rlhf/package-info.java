/**
 * Alignment training ({@code osprey rlhf}): {@link dev.osprey.align.rlhf.RlhfArguments} by ms-swift's names,
 * and {@link dev.osprey.align.rlhf.RlhfJob}, which runs DPO, KTO, SimPO, ORPO, CPO, reward-model training
 * ({@link dev.osprey.align.rlhf.RewardModel}, saved as Hugging Face's {@code *ForSequenceClassification}) and
 * GRPO with reward plugins or a trained reward model.
 */
@Version("2.1.0")
@Export
package dev.osprey.align.rlhf;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
