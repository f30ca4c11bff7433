package dev.osprey.devtools.impl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Token-id matrices given on the command line as JSON, e.g. {@code [[1,2,3],[4,5]]}: read the same way by
 * {@code osprey generate} and by contributed commands such as {@code osprey logits}.
 */
final class TokenIds {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenIds() {}

    /**
     * @param option the option's name, for the error message
     * @param rectangular whether every row must have the same length
     */
    static List<long[]> parse(String option, String text, boolean rectangular) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    option + " must be a JSON list of lists of integers, e.g. [[1,2,3]]: " + e.getOriginalMessage());
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new IllegalArgumentException(
                    option + " must be a non-empty JSON list of lists of integers, e.g. [[1,2,3]]");
        }
        List<long[]> rows = new ArrayList<>();
        for (int r = 0; r < root.size(); r++) {
            JsonNode row = root.get(r);
            if (!row.isArray() || row.isEmpty()) {
                throw new IllegalArgumentException(option + ": row " + r + " must be a non-empty list of integers");
            }
            long[] ids = new long[row.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!row.get(i).canConvertToLong() || !row.get(i).isIntegralNumber()) {
                    throw new IllegalArgumentException(
                            option + ": row " + r + ", item " + i + " is not an integer: " + row.get(i));
                }
                ids[i] = row.get(i).asLong();
            }
            if (rectangular && !rows.isEmpty() && rows.get(0).length != ids.length) {
                throw new IllegalArgumentException(option + ": row " + r + " has " + ids.length + " ids but row 0 has "
                        + rows.get(0).length + "; pad the rows and pass --attention_mask");
            }
            rows.add(ids);
        }
        return rows;
    }

    static long[] flatten(List<long[]> rows) {
        return rows.stream().flatMapToLong(Arrays::stream).toArray();
    }

    /** Rejects ids outside the vocabulary, naming the first. */
    static void checkVocabulary(String option, List<long[]> rows, long vocab, boolean allowIgnoreIndex) {
        for (int r = 0; r < rows.size(); r++) {
            for (int i = 0; i < rows.get(r).length; i++) {
                long id = rows.get(r)[i];
                if ((id < 0 || id >= vocab) && !(allowIgnoreIndex && id == -100)) {
                    throw new IllegalArgumentException(option + ": row " + r + ", item " + i + " is " + id
                            + ", outside the vocabulary [0, " + vocab + ")");
                }
            }
        }
    }
}
