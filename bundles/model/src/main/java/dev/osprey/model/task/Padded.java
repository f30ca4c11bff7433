package dev.osprey.model.task;

import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Token sequences padded on the right to one length: ids (B, T) and the attention mask (B, T), 0 on padding.
 * The heads here read each row's last real token through the mask, so the padding side does not matter.
 */
public record Padded(NDArray ids, NDArray mask) {

    public static Padded right(NDManager manager, List<int[]> rows, int padId) {
        int b = rows.size();
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        Arrays.fill(ids, padId);
        for (int r = 0; r < b; r++) {
            int[] row = rows.get(r);
            for (int i = 0; i < row.length; i++) {
                ids[r * t + i] = row[i];
                mask[r * t + i] = 1;
            }
        }
        Shape shape = new Shape(b, t);
        return new Padded(manager.create(ids, shape), manager.create(mask, shape));
    }
}
