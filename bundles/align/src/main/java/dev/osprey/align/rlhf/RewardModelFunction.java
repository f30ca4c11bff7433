package dev.osprey.align.rlhf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.osprey.api.chat.ChatMessage;
import dev.osprey.api.chat.Conversation;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.api.plugin.ExtensionHandle;
import dev.osprey.api.plugin.ExtensionInfo;
import dev.osprey.api.plugin.ExtensionKind;
import dev.osprey.api.reward.RewardFunction;
import dev.osprey.api.reward.RewardSample;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.train.sft.Batch;
import dev.osprey.train.sft.SftExample;

/**
 * A trained reward model used as a GRPO reward ({@code --reward_model DIR}, named {@value #NAME} in the
 * logs): each prompt and completion is rendered through the reward model's chat template and scored by
 * its head; a multimodal reward model reads the prompt's images and videos through its own media step. Calls are
 * serialised (one model, one forward at a time).
 */
public final class RewardModelFunction implements RewardFunction {

    /** The name the reward model's scores are logged under. */
    public static final String NAME = "reward_model";

    private final RewardModel model;
    private final PromptEncoder prompts;
    private final MediaProcessor media;
    private final int maxLength;

    /**
     * @param media the reward model's media step, or null for a text model (a sample with images is then an error
     *        naming it)
     */
    public RewardModelFunction(RewardModel model, PromptEncoder prompts, MediaProcessor media, int maxLength) {
        this.model = model;
        this.prompts = prompts;
        this.media = media;
        this.maxLength = maxLength;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "scores of a trained reward model";
    }

    @Override
    public synchronized double[] score(List<RewardSample> samples) {
        if (samples.isEmpty()) {
            return new double[0];
        }
        List<SftExample> rows = new ArrayList<>();
        for (RewardSample s : samples) {
            List<ChatMessage> messages = new ArrayList<>(s.prompt());
            messages.add(ChatMessage.of("assistant", s.completion()));
            DatasetRow row =
                    new DatasetRow(Conversation.of(messages), Optional.empty(), Optional.empty(), Map.of(), "sample");
            // the last tokens count for the score: cut long samples on the left (a sample with images is not cut)
            rows.add(SftExample.encode(
                            row, prompts, media, maxLength, RenderOptions.LAST_ROUND, SftExample.Truncation.LEFT)
                    .get());
        }
        NDManager parent =
                model.decoder().parameters().values().iterator().next().getManager();
        try (NDScope scope = new NDScope();
                NDManager m = parent.newSubManager()) {
            scope.suppressNotUsedWarning();
            float[] scores = model.scores(Batch.of(m, rows, 0), false).toFloatArray(); // (B)
            double[] out = new double[scores.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = scores[i];
            }
            return out;
        }
    }

    /** A handle for a reward made by the job itself rather than taken from the registry. */
    static ExtensionHandle<RewardFunction> handle(RewardFunction function, String origin) {
        ExtensionInfo info = new ExtensionInfo(
                ExtensionKind.REWARD_FUNCTION, function.name(), function.description(), origin, "-", -1);
        return new ExtensionHandle<>() {
            @Override
            public RewardFunction get() {
                return function;
            }

            @Override
            public ExtensionInfo info() {
                return info;
            }

            @Override
            public boolean isAvailable() {
                return true;
            }

            @Override
            public void close() {}
        };
    }
}
