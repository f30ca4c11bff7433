package dev.osprey.train.sft;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.osprey.chat.ChatEncoder;

/**
 * Examples padded on the right to one length: ids (B, T), attention mask (B, T) with 0 on padding, and
 * labels (B, T) with -100 on padding.
 */
public record Batch(NDArray inputIds, NDArray attentionMask, NDArray labels, long trainedTokens) {

    /** @param padId the id padding positions carry (never attended to, never trained on) */
    public static Batch of(NDManager manager, List<SftExample> examples, int padId) {
        int b = examples.size();
        int t = examples.stream().mapToInt(e -> e.inputIds().length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] labels = new long[b * t];
        long trained = 0;
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, ChatEncoder.IGNORE_INDEX);
        for (int r = 0; r < b; r++) {
            SftExample e = examples.get(r);
            for (int i = 0; i < e.inputIds().length; i++) {
                ids[r * t + i] = e.inputIds()[i];
                mask[r * t + i] = 1;
                labels[r * t + i] = e.labels()[i];
                if (i > 0 && e.labels()[i] != ChatEncoder.IGNORE_INDEX) {
                    trained++; // the first position predicts nothing
                }
            }
        }
        Shape shape = new Shape(b, t);
        return new Batch(manager.create(ids, shape), manager.create(mask, shape), manager.create(labels, shape), trained);
    }
}
