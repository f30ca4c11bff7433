/**
 * Training datasets in ms-swift's formats, read into {@link dev.osprey.api.chat.Conversation}s.
 *
 * <p><b>Platform-internal.</b> This package is exported only so that Osprey's own bundles (the trainer,
 * the CLI) share one reader; it is not part of the public plugin API in {@code dev.osprey.api} and may
 * change with any Osprey release.
 *
 * <p>Each row is detected on its own, as ms-swift's {@code AutoPreprocessor} does: {@code messages}
 * (role/content, OpenAI tool calls), ShareGPT {@code conversations} (from/value, or human/assistant
 * pairs), Alpaca {@code instruction}/{@code input}/{@code output} and {@code query}/{@code response}/
 * {@code history}; with the optional columns {@code system}, {@code tools}, {@code rejected_response},
 * {@code rejected_messages}, {@code chosen}/{@code rejected}, {@code label} and
 * {@code images}/{@code videos}/{@code audios}. Files may be JSON Lines, a JSON array, CSV with a header
 * row or plain text, or a folder of them. {@link dev.osprey.dataset.DatasetReader#stream} reads JSONL,
 * JSON arrays, CSV and text without holding the file in memory.
 *
 * <p>Every problem with a file's contents is a {@link dev.osprey.dataset.DatasetException} (an
 * {@link java.lang.IllegalArgumentException}) whose message starts with {@code file:line}, and
 * {@link dev.osprey.dataset.BadRows} decides, for reading and encoding alike, whether a bad row stops the job
 * or is skipped and counted ({@code --strict}); failures of the
 * file system itself are {@link java.io.UncheckedIOException}s. Datasets on a hub (ModelScope or Hugging
 * Face ids such as {@code org/name}) are not supported: download them and pass the local path.
 */
@Version("1.2.0")
@Export
package dev.osprey.dataset;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
