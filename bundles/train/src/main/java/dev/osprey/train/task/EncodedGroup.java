package dev.osprey.train.task;

import java.util.List;

/**
 * The token ids of one embedding or reranker row, and its label (NaN when none). An embedding row: the anchor,
 * its positive, then the hard negatives ({@code positives} 1). A reranker row: the query with each positive
 * ({@code positives} of them), then the query with each hard negative.
 */
public record EncodedGroup(List<int[]> sequences, int positives, float label, String source) {

    public long tokens() {
        return sequences.stream().mapToLong(s -> s.length).sum();
    }
}
