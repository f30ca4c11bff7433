package dev.osprey.models.qwenvl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Qwen2.5-VL's window order, as transformers' get_vision_window_index computes it. */
class VisionWindowsTest {

    @Test
    void windowsCutTheMergedTokensRowMajorAndTheLastOnesShort() {
        // one image of 6 x 4 patches: 3 x 2 merged tokens in windows of 2 x 2 tokens; then a video of two
        // frame groups of 2 x 2 patches: one token each
        VisionWindows w = VisionWindows.of(new long[][] {{1, 6, 4}, {2, 2, 2}}, 2, 2);
        // tokens 0 1 / 2 3 / 4 5: window (0, 0) holds 0 1 2 3, window (1, 0) holds 4 5
        assertArrayEquals(new long[] {0, 16, 24, 28, 32}, w.windowBounds());
        assertArrayEquals(new long[] {0, 24, 28, 32}, w.frameBounds());
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7}, w.tokenInverse());
        assertArrayEquals(new long[] {0, 1, 2, 3}, java.util.Arrays.copyOf(w.patchOrder(), 4));
        // a wider image: 2 x 3 tokens in windows of 2: window (0, 0) holds 0 1 3 4, window (0, 1) holds 2 5
        VisionWindows wide = VisionWindows.of(new long[][] {{1, 4, 6}}, 2, 2);
        assertArrayEquals(new long[] {0, 1, 4, 2, 3, 5}, wide.tokenInverse());
        assertArrayEquals(
                new long[] {0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15}, java.util.Arrays.copyOf(wide.patchOrder(), 12));
        assertArrayEquals(new long[] {0, 16, 24}, wide.windowBounds());
    }
}
