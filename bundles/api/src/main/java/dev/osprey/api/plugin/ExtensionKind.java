package dev.osprey.api.plugin;

import java.util.Optional;

import dev.osprey.api.Extension;
import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.eval.Evaluator;
import dev.osprey.api.export.Exporter;
import dev.osprey.api.hardware.HardwareTarget;
import dev.osprey.api.inference.InferenceBackend;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.train.TrainingMethod;

/**
 * The kinds of extension the kernel tracks. Each kind is one service interface; the label is what
 * {@code osprey plugins} and {@code GET /api/plugins} print.
 */
public enum ExtensionKind {
    MODEL_ARCHITECTURE(ModelArchitecture.class, "model-architecture"),
    CHAT_TEMPLATE(ChatTemplate.class, "chat-template"),
    TRAINING_METHOD(TrainingMethod.class, "training-method"),
    REWARD_FUNCTION(RewardFunction.class, "reward"),
    INFERENCE_BACKEND(InferenceBackend.class, "inference-backend"),
    HARDWARE_TARGET(HardwareTarget.class, "hardware-target"),
    EVALUATOR(Evaluator.class, "evaluator"),
    EXPORTER(Exporter.class, "exporter");

    private final Class<? extends Extension> type;
    private final String label;

    ExtensionKind(Class<? extends Extension> type, String label) {
        this.type = type;
        this.label = label;
    }

    /** The service interface of this kind. */
    public Class<? extends Extension> type() {
        return type;
    }

    /** The short name printed in listings, e.g. {@code reward}. */
    public String label() {
        return label;
    }

    /** The kind whose service interface is {@code type}, if any. */
    public static Optional<ExtensionKind> of(Class<?> type) {
        for (ExtensionKind kind : values()) {
            if (kind.type == type) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
