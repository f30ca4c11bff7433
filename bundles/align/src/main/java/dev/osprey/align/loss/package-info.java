/**
 * Preference and RL losses over DJL arrays with autograd, each following the formula and defaults of
 * Hugging Face TRL: DPO (sigmoid, IPO, hinge), KTO, CPO and SimPO, ORPO, the pairwise reward-model loss and
 * GRPO (group advantages, clipped per-token objective, four normalisations). Every loss returns its value
 * with the metrics TRL logs. Platform-internal; the alignment training loops build on it.
 */
@Version("1.0.0")
@Export
package dev.osprey.align.loss;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
