/**
 * Decoders read for tasks beyond causal LM, as transformers and Sentence-Transformers read them: a
 * sequence classifier (a {@code score} head on the last real token: classification, reward and reranker
 * models), an embedding model (the last token's or the mean hidden state, L2-normalised), and a generative
 * reranker (the "yes" token's logit against "no"'s, as Qwen3-Reranker). Used by training and serving alike.
 * Platform-internal.
 */
@Version("1.0.0")
@Export
package dev.osprey.model.task;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
