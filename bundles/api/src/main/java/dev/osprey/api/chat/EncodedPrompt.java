package dev.osprey.api.chat;

import java.util.Arrays;
import java.util.List;

/**
 * A conversation as model input.
 *
 * @param inputIds the token ids
 * @param labels as long as {@code inputIds}: the id where the loss is computed, {@link #IGNORE_INDEX}
 *        elsewhere (not shifted; the loss shifts them)
 * @param media the media parts and where they sit in {@code inputIds}, for a multimodal family's encoder;
 *        empty for text
 */
public record EncodedPrompt(int[] inputIds, int[] labels, List<MediaInput> media) {

    /** The label of a position the loss ignores (PyTorch's and transformers' -100). */
    public static final int IGNORE_INDEX = -100;

    public EncodedPrompt {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException(
                    "input ids and labels differ in length: " + inputIds.length + " and " + labels.length);
        }
        media = List.copyOf(media);
    }

    public int length() {
        return inputIds.length;
    }

    /** How many positions are trained on. */
    public int trainedTokens() {
        return (int) Arrays.stream(labels).filter(l -> l != IGNORE_INDEX).count();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedPrompt e
                && Arrays.equals(inputIds, e.inputIds)
                && Arrays.equals(labels, e.labels)
                && media.equals(e.media);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels)) + media.hashCode();
    }

    @Override
    public String toString() {
        return "EncodedPrompt[inputIds=" + Arrays.toString(inputIds) + ", labels=" + Arrays.toString(labels)
                + (media.isEmpty() ? "" : ", media=" + media) + "]";
    }
}
