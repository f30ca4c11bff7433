/**
 * Hugging Face model folders in and out: building a model through its {@code ModelArchitecture} and
 * loading its safetensors by name (optionally quantizing the decoder linears), its tokenizer and generation
 * defaults; PEFT LoRA and DoRA adapters; saving.
 * Platform-internal.
 */
@Version("1.4.0")
@Export
package dev.osprey.model.load;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
