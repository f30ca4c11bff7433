package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2-VL's M-RoPE positions of a batch (transformers' {@code get_rope_index}): a text token's three positions
 * are its text position; an image's tokens start at the position of its first token and add their frame (times
 * the video's interval), row and column within the merged grid; text after it continues from that start plus the grid's larger side, not plus
 * its token count. Tokens after the pass (decoding steps) continue after the largest position of the row: their
 * text positions are shifted by the row's {@link #shift()} ({@code rope_deltas = max + 1 - length}), the sum over its
 * items of {@code max(h, w) - tokens} unless a video's frames reach further.
 *
 * <p>A run of placeholder tokens is one item; runs take the grids in order, row by row. A text position 0 starts
 * a new sample (a row's start, or a packed sample), whose shift starts at 0.
 *
 * @param positions (3, B, T) flattened: temporal, height and width positions
 * @param shift per row, how much the text positions of later tokens are shifted
 * @param imageRows the row of each image
 * @param videoRows the row of each video
 */
record MropePositions(long[] positions, long[] shift, int[] imageRows, int[] videoRows) {

    /**
     * @param tokens (B, T) token ids, flattened
     * @param text (B, T) text positions, flattened
     * @param images per image (t, h, w) in patches
     * @param videos per video (t, h, w) in patches
     * @param videoIntervals per video how far its temporal position moves per frame group (Qwen2.5-VL's
     *        {@code tokens_per_second · second_per_grid_t}), or null for 1 each (Qwen2-VL)
     * @param merge {@code spatial_merge_size}
     * @throws IllegalArgumentException when the placeholders do not fit the grids
     */
    static MropePositions of(
            long[] tokens,
            long[] text,
            int batch,
            int steps,
            long imageToken,
            long[][] images,
            long videoToken,
            long[][] videos,
            long[] videoIntervals,
            int merge) {
        long[] positions = new long[3 * batch * steps];
        long[] shift = new long[batch];
        List<Integer> imageRows = new ArrayList<>();
        List<Integer> videoRows = new ArrayList<>();
        int plane = batch * steps;
        for (int b = 0; b < batch; b++) {
            long rowShift = 0;
            long rowMax = Long.MIN_VALUE;
            int t = 0;
            while (t < steps) {
                int at = b * steps + t;
                long token = tokens[at];
                boolean image = token == imageToken;
                if (!image && token != videoToken) {
                    if (text[at] == 0) {
                        rowShift = 0;
                        rowMax = Long.MIN_VALUE;
                    }
                    for (int axis = 0; axis < 3; axis++) {
                        positions[axis * plane + at] = text[at] + rowShift;
                    }
                    rowMax = Math.max(rowMax, text[at] + rowShift);
                    t++;
                    continue;
                }
                int end = t;
                while (end < steps && tokens[b * steps + end] == token) {
                    end++;
                }
                List<Integer> rows = image ? imageRows : videoRows;
                long[][] grids = image ? images : videos;
                String what = image ? "image" : "video";
                if (rows.size() >= grids.length) {
                    throw new IllegalArgumentException(
                            "row " + b + " has more " + what + "s (placeholder runs) than the " + grids.length + " "
                                    + what + "_grid_thw rows of the request");
                }
                long[] grid = grids[rows.size()];
                long frames = grid[0];
                long height = grid[1] / merge;
                long width = grid[2] / merge;
                int count = end - t;
                if (frames * height * width != count || grid[1] % merge != 0 || grid[2] % merge != 0) {
                    throw new IllegalArgumentException(what + " " + rows.size() + " (row " + b
                            + ") has grid (t, h, w) = ("
                            + grid[0] + ", " + grid[1] + ", " + grid[2] + "), which makes " + frames * height * width
                            + " tokens at spatial_merge_size " + merge + ", but its placeholder run has " + count);
                }
                long interval = image || videoIntervals == null ? 1 : videoIntervals[rows.size()];
                rows.add(b);
                long start = text[at] + rowShift;
                for (int k = 0; k < count; k++) {
                    int i = at + k;
                    positions[i] = start + k / (height * width) * interval;
                    positions[plane + i] = start + (k / width) % height;
                    positions[2 * plane + i] = start + k % width;
                    rowMax = Math.max(
                            rowMax, Math.max(positions[i], Math.max(positions[plane + i], positions[2 * plane + i])));
                }
                rowShift += Math.max(height, width) - count;
                t = end;
            }
            // the next token continues after the largest position so far (rope_deltas = max + 1 - length)
            shift[b] = steps == 0 ? 0 : rowMax - text[b * steps + steps - 1];
        }
        if (imageRows.size() != images.length || videoRows.size() != videos.length) {
            throw new IllegalArgumentException("the request has " + images.length + " images and " + videos.length
                    + " videos but its tokens have placeholders for " + imageRows.size() + " and "
                    + videoRows.size());
        }
        return new MropePositions(
                positions,
                shift,
                imageRows.stream().mapToInt(Integer::intValue).toArray(),
                videoRows.stream().mapToInt(Integer::intValue).toArray());
    }
}
