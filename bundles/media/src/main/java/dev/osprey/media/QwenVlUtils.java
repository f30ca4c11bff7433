package dev.osprey.media;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.osprey.media.impl.Resampler;

/**
 * What ms-swift does to Qwen-VL media before the Hugging Face processor sees it, through qwen-vl-utils:
 * {@code fetch_image} resizes each picture with PIL's bicubic to {@code smart_resize(MIN_PIXELS, MAX_PIXELS)}
 * (so the processor's own resize is then a no-op), a video given as frames is fetched frame by frame and its
 * last frame repeated to an even count, and a decoded video's frames are sampled by {@code fps} or
 * {@code nframes}. ms-swift sets the bounds from environment variables of these names.
 */
public final class QwenVlUtils {

    public static final long MIN_PIXELS = 4 * 28 * 28;
    public static final long MAX_PIXELS = 16384 * 28 * 28;
    public static final int FRAME_FACTOR = 2;
    public static final double FPS = 2.0;
    public static final int FPS_MIN_FRAMES = 4;
    public static final int FPS_MAX_FRAMES = 768;
    public static final long VIDEO_MIN_PIXELS = 128 * 28 * 28;
    public static final long VIDEO_MAX_PIXELS = 768 * 28 * 28;
    /** qwen-vl-utils' default budget of a video's pixels over all its frames (128K tokens · 0.9). */
    public static final long VIDEO_TOTAL_PIXELS = (long) (128000 * 28 * 28 * 0.9);

    private QwenVlUtils() {}

    /**
     * Pixel bounds and frame sampling as ms-swift reads them from its environment ({@code MIN_PIXELS},
     * {@code MAX_PIXELS}, {@code VIDEO_MIN_PIXELS}, {@code VIDEO_MAX_PIXELS}, {@code VIDEO_TOTAL_PIXELS}, {@code FPS},
     * {@code FPS_MIN_FRAMES}, {@code FPS_MAX_FRAMES}), with qwen-vl-utils' defaults for those unset.
     *
     * @param videoTotalPixels the pixels of all a video's frames together, which bounds each frame's
     */
    public record Settings(
            long minPixels,
            long maxPixels,
            double fps,
            int minFrames,
            int maxFrames,
            long videoMinPixels,
            long videoMaxPixels,
            long videoTotalPixels) {

        public static final Settings DEFAULT = new Settings(
                MIN_PIXELS,
                MAX_PIXELS,
                FPS,
                FPS_MIN_FRAMES,
                FPS_MAX_FRAMES,
                VIDEO_MIN_PIXELS,
                VIDEO_MAX_PIXELS,
                VIDEO_TOTAL_PIXELS);

        /** Images and frame sampling only; the video pixel bounds take their defaults. */
        public Settings(long minPixels, long maxPixels, double fps, int minFrames, int maxFrames) {
            this(
                    minPixels,
                    maxPixels,
                    fps,
                    minFrames,
                    maxFrames,
                    VIDEO_MIN_PIXELS,
                    VIDEO_MAX_PIXELS,
                    VIDEO_TOTAL_PIXELS);
        }

        public static Settings fromEnvironment(Map<String, String> env) {
            return new Settings(
                    longValue(env, "MIN_PIXELS", MIN_PIXELS),
                    longValue(env, "MAX_PIXELS", MAX_PIXELS),
                    env.containsKey("FPS") ? parse("FPS", env.get("FPS")) : FPS,
                    (int) longValue(env, "FPS_MIN_FRAMES", FPS_MIN_FRAMES),
                    (int) longValue(env, "FPS_MAX_FRAMES", FPS_MAX_FRAMES),
                    longValue(env, "VIDEO_MIN_PIXELS", VIDEO_MIN_PIXELS),
                    longValue(env, "VIDEO_MAX_PIXELS", VIDEO_MAX_PIXELS),
                    // qwen-vl-utils reads its total's default from VIDEO_MAX_PIXELS at import, before ms-swift's own
                    longValue(env, "VIDEO_TOTAL_PIXELS", longValue(env, "VIDEO_MAX_PIXELS", VIDEO_TOTAL_PIXELS)));
        }

        /**
         * The largest frame of a video of {@code frames} sampled frames, qwen-vl-utils' {@code fetch_video}:
         * {@code max(min(VIDEO_MAX_PIXELS, VIDEO_TOTAL_PIXELS / frames · 2), int(VIDEO_MIN_PIXELS · 1.05))}.
         */
        public double videoFrameMaxPixels(int frames) {
            return Math.max(
                    Math.min((double) videoMaxPixels, (double) videoTotalPixels / frames * FRAME_FACTOR),
                    Math.floor(videoMinPixels * 1.05));
        }

        /** The frames qwen-vl-utils keeps of a decoded video, by {@link QwenVlUtils#frameIndices} at this fps. */
        public Video.FrameSampler sampler() {
            return (total, videoFps) -> frameIndices(total, videoFps, null, this);
        }

        private static long longValue(Map<String, String> env, String name, long fallback) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                return fallback;
            }
            double d = parse(name, v);
            if (d != Math.rint(d) || d <= 0) {
                throw new MediaException("environment variable " + name + "=" + v + " must be a positive whole number");
            }
            return (long) d;
        }

        private static double parse(String name, String v) {
            try {
                // ms-swift evaluates these, so 1003520 and 1280*28*28 are both accepted
                double product = 1;
                for (String factor : v.strip().split("\\*")) {
                    product *= Double.parseDouble(factor.strip());
                }
                return product;
            } catch (NumberFormatException e) {
                throw new MediaException("environment variable " + name + "=" + v + " is not a number");
            }
        }
    }

    /** qwen-vl-utils' {@code fetch_image}: PIL bicubic resize to smart_resize(height, width, factor, min, max). */
    public static RgbImage fetchImage(RgbImage image, int factor, long minPixels, long maxPixels) {
        int[] hw = Qwen2VlImageProcessor.smartResize(image.height(), image.width(), factor, minPixels, maxPixels);
        return Resampler.resize(image, hw[1], hw[0], Interpolation.PIL_BICUBIC);
    }

    /** qwen-vl-utils' {@code fetch_video} for a list of frames: each fetched as an image, the last repeated to an even count. */
    public static List<RgbImage> fetchFrames(List<RgbImage> frames, int factor, long minPixels, long maxPixels) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        List<RgbImage> out = new ArrayList<>();
        for (RgbImage frame : frames) {
            out.add(fetchImage(frame, factor, minPixels, maxPixels));
        }
        int n = (int) Math.ceil((double) out.size() / FRAME_FACTOR) * FRAME_FACTOR;
        while (out.size() < n) {
            out.add(out.get(out.size() - 1));
        }
        return out;
    }

    /**
     * qwen-vl-utils' {@code fetch_video} after decoding: the frames of a video file (already sampled) resized to
     * {@code smart_resize(factor, VIDEO_MIN_PIXELS, videoFrameMaxPixels)} with torchvision's antialiased bicubic (its
     * float path, {@link Interpolation#TORCHVISION_FLOAT_BICUBIC}); a
     * video given as frame images fetched frame by frame as images ({@link #fetchFrames}).
     */
    public static List<RgbImage> fetchVideo(Video video, int factor, Settings settings) {
        if (video.frameList()) {
            return fetchFrames(video.frames(), factor, settings.minPixels(), settings.maxPixels());
        }
        RgbImage first = video.frames().get(0);
        int[] hw = Qwen2VlImageProcessor.smartResize(
                first.height(),
                first.width(),
                factor,
                (double) settings.videoMinPixels(),
                settings.videoFrameMaxPixels(video.frames().size()));
        List<RgbImage> out = new ArrayList<>();
        for (RgbImage frame : video.frames()) {
            out.add(Resampler.resize(frame, hw[1], hw[0], Interpolation.TORCHVISION_FLOAT_BICUBIC));
        }
        return out;
    }

    /**
     * The frame rate of the frames {@link #fetchVideo} returns, which Qwen2.5-VL's {@code second_per_grid_ts}
     * (temporal patch / fps) and Qwen3-VL's timestamps read: a file's sampled rate, a frame list's 2.
     */
    public static double sampleFps(Video video) {
        return video.frameList() ? FPS : video.sampleFps();
    }

    /**
     * Which frames of a decoded video qwen-vl-utils keeps ({@code smart_nframes}, then
     * {@code torch.linspace(0, total - 1, n).round()}): {@code nframes} when given (rounded to an even
     * number), else {@code fps} frames a second within [minFrames, maxFrames], floored to an even number.
     *
     * @param nframes the number of frames asked for, or null to sample by fps
     */
    public static int[] frameIndices(int totalFrames, double videoFps, Integer nframes, Settings settings) {
        long n;
        if (nframes != null) {
            n = (long) Math.rint(nframes / (double) FRAME_FACTOR) * FRAME_FACTOR;
        } else {
            long minFrames = (long) Math.ceil(settings.minFrames() / (double) FRAME_FACTOR) * FRAME_FACTOR;
            long maxFrames = (long) Math.floor(Math.min(settings.maxFrames(), totalFrames) / (double) FRAME_FACTOR)
                    * FRAME_FACTOR;
            double wanted = totalFrames / videoFps * settings.fps();
            wanted = Math.min(Math.min(Math.max(wanted, minFrames), maxFrames), totalFrames);
            n = (long) Math.floor(wanted / FRAME_FACTOR) * FRAME_FACTOR;
        }
        if (n < FRAME_FACTOR || n > totalFrames) {
            throw new IllegalArgumentException(
                    "nframes should be in [" + FRAME_FACTOR + ", " + totalFrames + "], got " + n);
        }
        int[] indices = new int[(int) n];
        // torch.linspace in float32: from the start below the middle, from the end above it
        float start = 0f;
        float end = totalFrames - 1;
        float step = n > 1 ? (end - start) / (float) (n - 1) : 0f;
        long halfway = n / 2;
        for (int i = 0; i < n; i++) {
            float v = i < halfway ? start + step * i : end - step * (float) (n - 1 - i);
            indices[i] = (int) Math.rint(v);
        }
        return indices;
    }
}
