package dev.osprey.api.hardware;

import org.osgi.annotation.versioning.ConsumerType;

import dev.osprey.api.Extension;

/**
 * One kind of hardware (CPU, CUDA GPUs, Ascend NPUs, ...): detects the devices of that kind and says
 * what Osprey can do with them here. {@link #name()} is the kind as written in {@code --device}
 * ({@code cpu}, {@code cuda}, {@code npu}).
 *
 * <p>Detection may run external programs ({@code nvidia-smi}, {@code npu-smi}) and must finish within a
 * few seconds; it must never load a second native engine. Callers cache the report. Thread-safe. When a
 * target's bundle goes away, new jobs can no longer select its devices; running jobs are unaffected,
 * since the tensors live in the engine bundle.
 */
@ConsumerType
public interface HardwareTarget extends Extension {

    /** Looks for devices of this kind now. Never throws: problems go into the report. */
    HardwareReport detect();
}
