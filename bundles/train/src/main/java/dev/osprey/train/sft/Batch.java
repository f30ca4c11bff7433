package dev.osprey.train.sft;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.LanguageModel;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.chat.ChatEncoder;

/**
 * Examples padded on the right to one length: ids (B, T), attention mask (B, T) with 0 on padding, labels
 * (B, T) with -100 on padding, and, when any example is packed, position ids (B, T) restarting at every
 * packed sample.
 *
 * @param positionIds (B, T), or null when no example is packed
 * @param media the examples' images in row order (their tokens in {@code inputIds}), or null for text
 * @param attentionBlocks (B, T) the examples' bidirectional blocks ({@link SftExample#attentionBlocks}), -1 (causal)
 *        for rows without and on padding; null when no example has any
 */
public record Batch(
        NDArray inputIds,
        NDArray attentionMask,
        NDArray labels,
        NDArray positionIds,
        long trainedTokens,
        MediaTensors media,
        NDArray attentionBlocks) {

    public Batch(
            NDArray inputIds,
            NDArray attentionMask,
            NDArray labels,
            NDArray positionIds,
            long trainedTokens,
            MediaTensors media) {
        this(inputIds, attentionMask, labels, positionIds, trainedTokens, media, null);
    }

    public Batch(NDArray inputIds, NDArray attentionMask, NDArray labels, NDArray positionIds, long trainedTokens) {
        this(inputIds, attentionMask, labels, positionIds, trainedTokens, null);
    }

    /** The logits of {@code model} on this batch, (B, T, V). */
    public NDArray logits(LanguageModel model, String adapter, boolean training) {
        return model.forward(ForwardRequest.builder(inputIds)
                        .optAttentionMask(attentionMask)
                        .optPositionIds(positionIds)
                        .optAdapter(adapter)
                        .optTraining(training)
                        .optMedia(media)
                        .optAttentionBlocks(attentionBlocks)
                        .build())
                .logits();
    }

    /** @param padId the id padding positions carry (never attended to, never trained on) */
    public static Batch of(NDManager manager, List<SftExample> examples, int padId) {
        int b = examples.size();
        int t = examples.stream().mapToInt(SftExample::length).max().orElse(0);
        boolean packed = examples.stream().anyMatch(e -> e.positionIds() != null);
        boolean blocked = examples.stream().anyMatch(e -> e.attentionBlocks() != null);
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] labels = new long[b * t];
        long[] positions = new long[b * t];
        long[] blocks = new long[b * t];
        Arrays.fill(blocks, -1);
        long trained = 0;
        Arrays.fill(ids, padId);
        Arrays.fill(labels, ChatEncoder.IGNORE_INDEX);
        for (int r = 0; r < b; r++) {
            SftExample e = examples.get(r);
            for (int i = 0; i < e.length(); i++) {
                ids[r * t + i] = e.inputIds()[i];
                mask[r * t + i] = 1;
                labels[r * t + i] = e.labels()[i];
                positions[r * t + i] = e.positionIds() != null ? e.positionIds()[i] : i;
                blocks[r * t + i] = e.attentionBlocks() != null ? e.attentionBlocks()[i] : -1;
                if (i > 0 && e.labels()[i] != ChatEncoder.IGNORE_INDEX) {
                    trained++; // the first position predicts nothing
                }
            }
        }
        Shape shape = new Shape(b, t);
        return new Batch(
                manager.create(ids, shape),
                manager.create(mask, shape),
                manager.create(labels, shape),
                packed ? manager.create(positions, shape) : null,
                trained,
                ExampleMedia.batch(
                        manager, examples.stream().map(SftExample::media).toList()),
                blocked ? manager.create(blocks, shape) : null);
    }
}
