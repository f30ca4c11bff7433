package dev.osprey.media;

import java.util.List;

/**
 * The frames kept of a decoded video, with where they came from: which of its frames they are and its frame rate,
 * from which a model's processor derives the sampled frame rate (Qwen2.5-VL's {@code second_per_grid_ts}) and the
 * frames' timestamps (Qwen3-VL's).
 *
 * @param frames the frames kept, in order, all of one size
 * @param frameIndices the index of each kept frame in the video (a frame may be kept twice)
 * @param totalFrames how many frames the video has
 * @param fps the video's frame rate; for a video given as a list of frames, the rate the caller says it was taken at
 * @param frameList whether the video came as separate frame images (a folder or a list), all kept, rather than as a
 *     video file sampled by a {@link FrameSampler}
 */
public record Video(List<RgbImage> frames, int[] frameIndices, int totalFrames, double fps, boolean frameList) {

    public Video {
        frames = List.copyOf(frames);
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        if (frameIndices.length != frames.size()) {
            throw new IllegalArgumentException(frameIndices.length + " frame indices for " + frames.size() + " frames");
        }
        if (!(fps > 0)) {
            throw new IllegalArgumentException("a video's frame rate must be positive, was " + fps);
        }
    }

    /** A video given as frame images, all kept, taken at {@code fps}. */
    public static Video ofFrames(List<RgbImage> frames, double fps) {
        return new Video(
                frames, java.util.stream.IntStream.range(0, frames.size()).toArray(), frames.size(), fps, true);
    }

    /** The rate at which the kept frames sample the video: qwen-vl-utils' {@code sample_fps}. */
    public double sampleFps() {
        return frames.size() / Math.max((double) totalFrames, 1e-6) * fps;
    }

    /** Which frames of a video to keep, knowing its length and frame rate (e.g. {@link QwenVlUtils#frameIndices}). */
    @FunctionalInterface
    public interface FrameSampler {

        /** Every frame, in order. */
        FrameSampler ALL =
                (total, fps) -> java.util.stream.IntStream.range(0, total).toArray();

        /** @return frame indices in [0, totalFrames), ascending (repeats allowed) */
        int[] indices(int totalFrames, double fps);
    }
}
