package dev.osprey.models.qwenvl;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The text Qwen3-VL's processor writes before each temporal patch group of a video ({@code <0.9 seconds>}):
 * {@code Qwen3VLProcessor._calculate_timestamps}, the mean time of the group's first and last frame, from the frames'
 * indices in the video and its frame rate, formatted as Python's {@code f"{t:.1f}"}.
 */
final class VideoTimestamps {

    private VideoTimestamps() {}

    /**
     * One text per temporal patch group.
     *
     * @param frameIndices each kept frame's index in the video (qwen-vl-utils' {@code frames_indices})
     * @param fps the video's frame rate ({@code video_metadata.fps})
     * @param temporalPatchSize frames per group; a last group short of frames repeats the last index, as transformers
     */
    static String[] texts(int[] frameIndices, double fps, int temporalPatchSize) {
        int groups = (frameIndices.length + temporalPatchSize - 1) / temporalPatchSize;
        String[] texts = new String[groups];
        for (int g = 0; g < groups; g++) {
            int first = frameIndices[g * temporalPatchSize];
            int last = frameIndices[Math.min((g + 1) * temporalPatchSize, frameIndices.length) - 1];
            texts[g] = "<" + pythonOneDecimal((first / fps + last / fps) / 2) + " seconds>";
        }
        return texts;
    }

    /**
     * Python's {@code format(x, ".1f")}: the double's exact binary value rounded half to even, so 0.25 gives "0.2"
     * where Java's {@code %.1f} gives "0.3".
     */
    static String pythonOneDecimal(double x) {
        return new BigDecimal(x).setScale(1, RoundingMode.HALF_EVEN).toPlainString();
    }
}
