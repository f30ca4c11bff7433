/**
 * Images and video frames for multimodal models, one job: turn a media reference into the pixel tensors a
 * model's Hugging Face processor would make. {@link dev.osprey.media.MediaLoader} fetches the bytes of a
 * reference (a local path, {@code file:} or {@code http(s):} URL, {@code data:} URI) and decodes them
 * ({@link dev.osprey.media.ImageDecoder}: JPEG, PNG, WebP, BMP, GIF, EXIF orientation, RGB as PIL's
 * {@code convert("RGB")}); {@link dev.osprey.media.ImageProcessors} reads a {@code preprocessor_config.json}
 * and returns the {@link dev.osprey.media.ImageProcessor} it names (Qwen2-VL, CLIP, SigLIP), which makes
 * {@link dev.osprey.media.PixelValues}: plain Java arrays, so this bundle needs no engine.
 */
@Version("1.2.0")
@Export
package dev.osprey.media;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
