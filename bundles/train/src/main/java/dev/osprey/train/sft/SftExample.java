package dev.osprey.train.sft;

import java.util.Arrays;
import java.util.List;

import dev.osprey.api.chat.ChatTemplate;
import dev.osprey.api.chat.RenderOptions;
import dev.osprey.chat.ChatEncoder;
import dev.osprey.dataset.DatasetRow;

/**
 * One encoded training example: token ids, and labels that are the ids where the loss applies and
 * -100 elsewhere (prompts, system text, padding).
 *
 * @param inputIds the tokens
 * @param labels the targets, aligned with the tokens (the loss shifts them)
 * @param source where the row came from, for messages
 */
public record SftExample(int[] inputIds, int[] labels, String source) {

    /**
     * Renders a dataset row through the template and tokenizes it; keeps at most {@code maxLength}
     * tokens (cutting the end, ms-swift's default {@code truncation_strategy}).
     *
     * @throws IllegalArgumentException naming the row when nothing is left to train on
     */
    public static SftExample encode(DatasetRow row, ChatTemplate template, ChatEncoder encoder, int maxLength,
            String lossScope) {
        var segments = template.render(row.conversation(), new RenderOptions(false, lossScope, java.util.Map.of()));
        ChatEncoder.Encoded encoded = encoder.encode(segments);
        int length = Math.min(encoded.length(), maxLength);
        int[] ids = Arrays.copyOf(encoded.inputIds(), length);
        int[] labels = Arrays.copyOf(encoded.labels(), length);
        if (Arrays.stream(labels).noneMatch(l -> l != ChatEncoder.IGNORE_INDEX)) {
            throw new IllegalArgumentException(row.source() + ": no assistant tokens left to train on"
                    + (encoded.length() > maxLength ? " within --max_length " + maxLength : ""));
        }
        return new SftExample(ids, labels, row.source());
    }

    /** Rows encoded in order. */
    public static List<SftExample> encodeAll(List<DatasetRow> rows, ChatTemplate template, ChatEncoder encoder, int maxLength,
            String lossScope) {
        return rows.stream().map(r -> encode(r, template, encoder, maxLength, lossScope)).toList();
    }
}
