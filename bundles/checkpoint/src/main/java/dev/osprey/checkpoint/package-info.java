/**
 * The files of a Hugging Face model folder, read and written without Python: safetensors weights (one
 * file, or shards listed by {@code model.safetensors.index.json}, or a LoRA {@code adapter_model.safetensors}),
 * {@code config.json}, {@code generation_config.json} and {@code tokenizer_config.json}.
 *
 * <p><b>Platform-internal.</b> This package is exported only so that Osprey's own model bundles share one
 * reader; it is not part of the public plugin API in {@code dev.osprey.api} and may change with any
 * Osprey release. Third-party plugins should go through the API's model registry instead.
 *
 * <p>Every problem with a file's contents is reported as a {@link dev.osprey.checkpoint.CheckpointException}
 * (an {@link java.lang.IllegalArgumentException}) whose message names the file and the tensor or field at
 * fault; failures of the file system itself stay {@link java.io.IOException}s.
 *
 * <p>BF16, the type of most published checkpoints, is converted to and from F32 in Java, before an
 * {@code NDArray} exists: with DJL 0.36 on the PyTorch CPU engine, creating or converting a BF16 array
 * aborts the JVM.
 */
@Version("1.0.0")
@Export
package dev.osprey.checkpoint;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
