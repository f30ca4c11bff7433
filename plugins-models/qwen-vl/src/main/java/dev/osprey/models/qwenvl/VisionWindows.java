package dev.osprey.models.qwenvl;

import java.util.ArrayList;
import java.util.List;

/**
 * How Qwen2.5-VL's vision blocks group patches (transformers' {@code get_vision_window_index}): each item's merged
 * tokens (merge x merge patches each) are cut into windows of {@code window} x {@code window} tokens, row-major
 * within and between windows (the last windows of a row or column cut short); window attention then runs within
 * each window, full attention within each frame group of an item (one for an image; {@code cu_seqlens}).
 *
 * @param patchOrder for each position of the blocks' order, the processor's index of the patch there
 * @param tokenInverse for each merged token in the processor's order, its index in the blocks' order
 * @param windowBounds the windows' boundaries in patches (0 first, N last)
 * @param frameBounds the boundaries in patches of every item's frame groups (t of them per item)
 */
record VisionWindows(long[] patchOrder, long[] tokenInverse, long[] windowBounds, long[] frameBounds) {

    /**
     * @param grids per item (t, h, w) in patches
     * @param merge {@code spatial_merge_size}
     * @param window the window side in merged tokens ({@code window_size / merge / patch_size}); 0 for none
     */
    static VisionWindows of(long[][] grids, int merge, int window) {
        int unit = merge * merge;
        List<Long> tokens = new ArrayList<>();
        List<Long> windowBounds = new ArrayList<>(List.of(0L));
        List<Long> frameBounds = new ArrayList<>(List.of(0L));
        long offset = 0;
        for (long[] g : grids) {
            long height = g[1] / merge;
            long width = g[2] / merge;
            long side = window > 0 ? window : Math.max(height, width);
            for (long t = 0; t < g[0]; t++) {
                for (long top = 0; top < height; top += side) {
                    for (long left = 0; left < width; left += side) {
                        for (long r = top; r < Math.min(top + side, height); r++) {
                            for (long c = left; c < Math.min(left + side, width); c++) {
                                tokens.add(offset + (t * height + r) * width + c);
                            }
                        }
                        windowBounds.add((long) tokens.size() * unit);
                    }
                }
                frameBounds.add((offset + (t + 1) * height * width) * unit);
            }
            offset += g[0] * height * width;
        }
        long[] patchOrder = new long[tokens.size() * unit];
        long[] tokenInverse = new long[tokens.size()];
        for (int k = 0; k < tokens.size(); k++) {
            tokenInverse[Math.toIntExact(tokens.get(k))] = k;
            for (int j = 0; j < unit; j++) {
                patchOrder[k * unit + j] = tokens.get(k) * unit + j;
            }
        }
        return new VisionWindows(
                patchOrder,
                tokenInverse,
                windowBounds.stream().mapToLong(Long::longValue).toArray(),
                frameBounds.stream().mapToLong(Long::longValue).toArray());
    }
}
