/**
 * The built-in {@code djl} inference backend: loads a Hugging Face model folder with the installed
 * architectures, serves it and its LoRA adapters through a continuous-batching scheduler. Private to
 * this bundle; other bundles reach it as an {@link dev.osprey.api.inference.InferenceBackend} service.
 */
package dev.osprey.backend.djl;
