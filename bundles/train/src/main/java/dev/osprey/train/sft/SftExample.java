package dev.osprey.train.sft;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;

/**
 * One encoded training example: token ids, and labels that are the ids where the loss applies and
 * -100 elsewhere (prompts, system text, padding).
 *
 * @param inputIds the tokens
 * @param labels the targets, aligned with the tokens (the loss shifts them)
 * @param positionIds for a packed example, the position of each token within its own sample (restarting
 *        at 0 where the next sample begins); null for one sample, whose positions are 0, 1, 2, ...
 * @param source where the row came from, for messages
 */
public record SftExample(int[] inputIds, int[] labels, int[] positionIds, String source) {

    /** How to cut an encoded row longer than {@code --max_length}, as ms-swift's {@code truncation_strategy}. */
    public enum Truncation {
        /** drop the row (ms-swift's default) */
        DELETE,
        /** keep the last tokens */
        LEFT,
        /** keep the first tokens */
        RIGHT;

        public static Truncation of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /** The empty think block of Qwen3's answers without thinking, as ms-swift's {@code ignore_empty_think} finds it. */
    public static final String EMPTY_THINK = "<think>\n\n</think>\n\n";

    /** This example with every trained occurrence of the ids {@code run} left out of the loss. */
    public SftExample untraining(int[] run) {
        if (run.length == 0) {
            return this;
        }
        int[] out = labels.clone();
        for (int i = 0; i + run.length <= inputIds.length; i++) {
            if (Arrays.equals(inputIds, i, i + run.length, run, 0, run.length)) {
                Arrays.fill(out, i, i + run.length, EncodedPrompt.IGNORE_INDEX);
                i += run.length - 1;
            }
        }
        return new SftExample(inputIds, out, positionIds, source);
    }

    public SftExample(int[] inputIds, int[] labels, String source) {
        this(inputIds, labels, null, source);
    }

    public int length() {
        return inputIds.length;
    }

    /** The positions the loss is taken on (the first position predicts nothing). */
    public long trainedTokens() {
        long trained = 0;
        for (int i = 1; i < labels.length; i++) {
            trained += labels[i] != ChatEncoder.IGNORE_INDEX ? 1 : 0;
        }
        return trained;
    }

    /**
     * Renders a dataset row through the template and tokenizes it (supervised fine-tuning).
     *
     * @return the example, or empty when {@link Truncation#DELETE} drops it for being too long
     * @throws DatasetException naming the row ({@code file:line}) when nothing is left to train on, e.g. a
     *         row without an assistant answer; a job skips it with {@code --strict false} ({@link dev.osprey.dataset.BadRows})
     */
    public static Optional<SftExample> encode(
            DatasetRow row, PromptEncoder prompts, int maxLength, String lossScope, Truncation truncation) {
        EncodedPrompt encoded = prompts.forTraining(row.conversation(), lossScope);
        boolean answered = row.conversation().messages().stream().anyMatch(m -> "assistant".equals(m.role()));
        return truncate(
                encoded.inputIds(),
                encoded.labels(),
                maxLength,
                truncation,
                row.source(),
                answered ? "" : " (the row has no assistant answer)");
    }

    /** Rows encoded in order; rows that {@link Truncation#DELETE} drops are left out. */
    public static List<SftExample> encodeAll(
            List<DatasetRow> rows, PromptEncoder prompts, int maxLength, String lossScope, Truncation truncation) {
        return rows.stream()
                .flatMap(r -> encode(r, prompts, maxLength, lossScope, truncation).stream())
                .toList();
    }

    /**
     * Pre-training: the row's texts joined (no chat template), then EOS, with every token trained; the
     * first token has no label since nothing predicts it.
     */
    public static Optional<SftExample> encodeText(
            DatasetRow row, ChatEncoder encoder, int[] prefix, int eosId, int maxLength, Truncation truncation) {
        StringBuilder text = new StringBuilder();
        row.conversation().messages().forEach(m -> text.append(m.text()));
        int[] body = encoder.tokenize(text.toString());
        int[] ids = new int[prefix.length + body.length + (eosId >= 0 ? 1 : 0)];
        System.arraycopy(prefix, 0, ids, 0, prefix.length);
        System.arraycopy(body, 0, ids, prefix.length, body.length);
        if (eosId >= 0) {
            ids[ids.length - 1] = eosId;
        }
        int[] labels = ids.clone();
        return truncate(ids, labels, maxLength, truncation, row.source(), "");
    }

    /** @param why what to add to the error when nothing is left to train on, e.g. " (the row has no assistant answer)" */
    private static Optional<SftExample> truncate(
            int[] ids, int[] labels, int maxLength, Truncation truncation, String source, String why) {
        if (ids.length > maxLength) {
            switch (truncation) {
                case DELETE -> {
                    return Optional.empty();
                }
                case LEFT -> {
                    ids = Arrays.copyOfRange(ids, ids.length - maxLength, ids.length);
                    labels = Arrays.copyOfRange(labels, labels.length - maxLength, labels.length);
                }
                case RIGHT -> {
                    ids = Arrays.copyOf(ids, maxLength);
                    labels = Arrays.copyOf(labels, maxLength);
                }
            }
        }
        labels[0] = ChatEncoder.IGNORE_INDEX; // nothing predicts the first token
        if (Arrays.stream(labels).noneMatch(l -> l != ChatEncoder.IGNORE_INDEX)) {
            throw new DatasetException(
                    source,
                    "no tokens left to train on" + why
                            + (truncation != Truncation.DELETE
                                    ? " after --truncation_strategy "
                                            + truncation.name().toLowerCase(Locale.ROOT) + " to --max_length "
                                            + maxLength
                                    : ""));
        }
        return Optional.of(new SftExample(ids, labels, null, source));
    }
}
