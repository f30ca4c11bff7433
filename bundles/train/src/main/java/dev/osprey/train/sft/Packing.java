package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import dev.osprey.chat.ChatEncoder;

/**
 * {@code --packing}: fills sequences of at most {@code maxLength} tokens with several examples, first-fit
 * decreasing (the bin packing ms-swift uses), so batches carry little padding. Each packed example keeps
 * its samples apart: positions restart at 0 for every sample, which the decoder reads as a block-diagonal
 * attention mask, and the first label of every sample is ignored so no sample predicts its neighbour. A packed
 * example's media are its samples' in order (the order of their placeholders), as a processor returns a batch's; a
 * prefix-LM sample keeps its attention blocks, which the decoder confines to the sample as it does attention.
 */
public final class Packing {

    private Packing() {}

    /** @param examples each at most {@code maxLength} tokens long */
    public static List<SftExample> pack(List<SftExample> examples, int maxLength) {
        List<SftExample> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingInt(SftExample::length).reversed());
        List<List<SftExample>> bins = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        for (SftExample e : sorted) {
            if (e.length() > maxLength) {
                throw new IllegalArgumentException(
                        e.source() + ": " + e.length() + " tokens do not fit --max_length " + maxLength);
            }
            int bin = 0;
            while (bin < bins.size() && free.get(bin) < e.length()) {
                bin++;
            }
            if (bin == bins.size()) {
                bins.add(new ArrayList<>());
                free.add(maxLength);
            }
            bins.get(bin).add(e);
            free.set(bin, free.get(bin) - e.length());
        }
        return bins.stream().map(Packing::concatenate).toList();
    }

    private static SftExample concatenate(List<SftExample> samples) {
        int length = samples.stream().mapToInt(SftExample::length).sum();
        int[] ids = new int[length];
        int[] labels = new int[length];
        int[] positions = new int[length];
        int offset = 0;
        for (SftExample s : samples) {
            System.arraycopy(s.inputIds(), 0, ids, offset, s.length());
            System.arraycopy(s.labels(), 0, labels, offset, s.length());
            labels[offset] = ChatEncoder.IGNORE_INDEX; // predicted from the previous sample's end
            for (int i = 0; i < s.length(); i++) {
                positions[offset + i] = i;
            }
            offset += s.length();
        }
        String source = samples.size() == 1
                ? samples.get(0).source()
                : samples.get(0).source() + " +" + (samples.size() - 1) + " packed";
        List<ExampleMedia> media =
                samples.stream().map(SftExample::media).filter(m -> m != null).toList();
        return new SftExample(
                ids,
                labels,
                positions,
                source,
                media.isEmpty() ? null : ExampleMedia.join(media, source),
                attentionBlocks(samples, length));
    }

    /** The samples' attention blocks one after another (-1, causal, for a sample without), or null when none has. */
    private static int[] attentionBlocks(List<SftExample> samples, int length) {
        if (samples.stream().allMatch(s -> s.attentionBlocks() == null)) {
            return null;
        }
        int[] blocks = new int[length];
        int offset = 0;
        for (SftExample s : samples) {
            if (s.attentionBlocks() != null) {
                System.arraycopy(s.attentionBlocks(), 0, blocks, offset, s.length());
            } else {
                Arrays.fill(blocks, offset, offset + s.length(), -1);
            }
            offset += s.length();
        }
        return blocks;
    }
}
