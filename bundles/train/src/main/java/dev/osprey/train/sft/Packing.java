package dev.osprey.train.sft;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.osprey.chat.ChatEncoder;

/**
 * {@code --packing}: fills sequences of at most {@code maxLength} tokens with several examples, first-fit
 * decreasing (the bin packing ms-swift uses), so batches carry little padding. Each packed example keeps
 * its samples apart: positions restart at 0 for every sample, which the decoder reads as a block-diagonal
 * attention mask, and the first label of every sample is ignored so no sample predicts its neighbour.
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
            if (e.media() != null) {
                throw new IllegalArgumentException(
                        e.source() + ": --packing does not take rows with images yet; train them without packing");
            }
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
        return new SftExample(ids, labels, positions, source);
    }
}
