/**
 * The decoder-only transformer (Llama and its relatives) that architecture bundles configure with a
 * {@link dev.osprey.model.decoder.DecoderSpec}: batched forward passes with padding, attention masks
 * and a KV cache. Platform-internal.
 */
@Version("1.6.0")
@Export
package dev.osprey.model.decoder;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
