package dev.osprey.train.task;

import java.util.List;

/**
 * The token ids of one embedding or reranker row: the anchor (for a reranker, the query with the positive),
 * the positive, then the hard negatives; and its label (NaN when none).
 */
public record EncodedGroup(List<int[]> sequences, float label, String source) {

    public long tokens() {
        return sequences.stream().mapToLong(s -> s.length).sum();
    }
}
