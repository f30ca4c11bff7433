package dev.osprey.api.jobs;

import java.util.Map;
import java.util.Objects;

import dev.osprey.api.hardware.DeviceId;
import dev.osprey.api.job.Arguments;
import dev.osprey.api.plugin.ExtensionKind;

/**
 * What to run: the extension of {@code kind} named {@code name} (a training method such as {@code sft},
 * an exporter, an evaluator) with its arguments by ms-swift name, on {@code device}.
 *
 * @param kind {@link ExtensionKind#TRAINING_METHOD}, {@link ExtensionKind#EXPORTER} or {@link ExtensionKind#EVALUATOR}
 * @param name the extension's name
 * @param arguments its options
 * @param device where it runs; jobs on one device run one at a time
 */
public record JobRequest(ExtensionKind kind, String name, Arguments arguments, DeviceId device) {

    public JobRequest {
        Objects.requireNonNull(kind, "kind");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("method: the name of the method to run is missing");
        }
        arguments = arguments == null ? Arguments.of(Map.of()) : arguments;
        device = device == null ? DeviceId.CPU : device;
    }

    /** A training job of the method {@code method} ({@code sft}, {@code pt}, {@code dpo}, ...). */
    public static JobRequest training(String method, Arguments arguments, DeviceId device) {
        return new JobRequest(ExtensionKind.TRAINING_METHOD, method, arguments, device);
    }
}
