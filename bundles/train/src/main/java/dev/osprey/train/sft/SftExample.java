package dev.osprey.train.sft;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.PromptEncoder;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.dataset.DatasetException;
import dev.osprey.dataset.DatasetRow;
import dev.osprey.media.MediaLoader;
import dev.osprey.model.spi.MediaProcessor;

/**
 * One encoded training example: token ids, and labels that are the ids where the loss applies and
 * -100 elsewhere (prompts, system text, padding).
 *
 * @param inputIds the tokens
 * @param labels the targets, aligned with the tokens (the loss shifts them)
 * @param positionIds for a packed example, the position of each token within its own sample (restarting
 *        at 0 where the next sample begins); null for one sample, whose positions are 0, 1, 2, ...
 * @param source where the row came from, for messages
 * @param media the row's images as its model's processor made them (their tokens are in {@code inputIds}), or null
 * @param attentionBlocks per token, the bidirectional blocks its model's processor gave the row (a prefix-LM row's
 *        prefix 0, its answer -1: {@link MediaProcessor.Processed#attentionBlocks}), or null for a causal row
 */
public record SftExample(
        int[] inputIds, int[] labels, int[] positionIds, String source, ExampleMedia media, int[] attentionBlocks) {

    public SftExample(int[] inputIds, int[] labels, int[] positionIds, String source, ExampleMedia media) {
        this(inputIds, labels, positionIds, source, media, null);
    }

    public SftExample(int[] inputIds, int[] labels, int[] positionIds, String source) {
        this(inputIds, labels, positionIds, source, null);
    }

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
        return new SftExample(inputIds, out, positionIds, source, media, attentionBlocks);
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

    /**
     * {@link #encode(DatasetRow, PromptEncoder, int, String, Truncation)} for a multimodal model: the row's images
     * (paths relative to the dataset file) go through the model's media step, their tokens unlabelled; an example with
     * images is not truncated (its tokens and pixels must agree): too long, it is dropped with {@link Truncation#DELETE}
     * and an error naming the row otherwise.
     *
     * @param media the model's media step, or null for a text model (a row with images is then an error naming it)
     */
    public static Optional<SftExample> encode(
            DatasetRow row,
            PromptEncoder prompts,
            MediaProcessor media,
            int maxLength,
            String lossScope,
            Truncation truncation) {
        boolean hasMedia = row.conversation().messages().stream()
                .flatMap(m -> m.content().stream())
                .anyMatch(p -> !p.isText());
        if (!hasMedia) {
            return encode(row, prompts, maxLength, lossScope, truncation);
        }
        if (media == null) {
            throw new DatasetException(row.source(), "the row has images or videos, but the model reads text only");
        }
        EncodedPrompt encoded;
        MediaProcessor.Processed processed;
        try (NDManager scratch = NDManager.newBaseManager()) {
            encoded = prompts.forTraining(row.conversation(), lossScope);
            processed = media.process(encoded, new MediaLoader(datasetFolder(row.source())), scratch);
            ExampleMedia arrays = ExampleMedia.of(processed.media());
            int[] ids = processed.inputIds();
            if (ids.length > maxLength) {
                if (truncation == Truncation.DELETE) {
                    return Optional.empty();
                }
                throw new DatasetException(
                        row.source(),
                        ids.length + " tokens with its images, over --max_length " + maxLength
                                + "; a row with images is not cut (use --truncation_strategy delete or a larger"
                                + " --max_length)");
            }
            int[] labels = processed.labels().clone();
            labels[0] = ChatEncoder.IGNORE_INDEX;
            if (Arrays.stream(labels).noneMatch(l -> l != ChatEncoder.IGNORE_INDEX)) {
                throw new DatasetException(row.source(), "no tokens left to train on");
            }
            return Optional.of(new SftExample(ids, labels, null, row.source(), arrays, processed.attentionBlocks()));
        } catch (DatasetException e) {
            throw e;
        } catch (RuntimeException e) { // an unreadable image, a template without placeholders
            throw new DatasetException(row.source(), e.getMessage());
        }
    }

    /** The folder of the dataset file a row's {@code source} ({@code FILE:LINE}) names; relative image paths start there. */
    public static Path datasetFolder(String source) {
        int colon = source == null ? -1 : source.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        Path parent = Path.of(source.substring(0, colon)).toAbsolutePath().getParent();
        return parent;
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
