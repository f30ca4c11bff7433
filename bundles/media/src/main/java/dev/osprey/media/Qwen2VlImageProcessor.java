package dev.osprey.media;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.impl.Normalizer;
import dev.osprey.media.impl.Patches;
import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * transformers' {@code Qwen2VLImageProcessor} and {@code Qwen2VLVideoProcessor} (Qwen2-VL, Qwen2.5-VL):
 * each picture resized to {@link #smartResize} (sides multiples of patch·merge, pixels within
 * [min_pixels, max_pixels]) with torchvision's antialiased bicubic, rescaled and normalised, and cut into
 * patches of (C·T·P·P) values, a still image repeated over the temporal patch; {@code image_grid_thw} is
 * (1, h/P, w/P) and an image becomes t·h·w / merge² placeholder tokens.
 */
public final class Qwen2VlImageProcessor implements ImageProcessor {

    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    /**
     * The fields of the processor's {@code preprocessor_config.json} (or {@code video_preprocessor_config.json}).
     *
     * @param minPixels {@code min_pixels} (or {@code size.shortest_edge})
     * @param maxPixels {@code max_pixels} (or {@code size.longest_edge})
     */
    public record Config(
            int patchSize,
            int temporalPatchSize,
            int mergeSize,
            long minPixels,
            long maxPixels,
            boolean doResize,
            Interpolation resample,
            boolean doRescale,
            double rescaleFactor,
            boolean doNormalize,
            double[] imageMean,
            double[] imageStd) {

        /** The side of a merged token in pixels, patch·merge: 28 for Qwen2-VL. */
        public int factor() {
            return patchSize * mergeSize;
        }

        /** The same processor without its resize ({@code do_resize=False}, as ms-swift calls it on fetched frames). */
        public Config withoutResize() {
            return new Config(
                    patchSize,
                    temporalPatchSize,
                    mergeSize,
                    minPixels,
                    maxPixels,
                    false,
                    resample,
                    doRescale,
                    rescaleFactor,
                    doNormalize,
                    imageMean,
                    imageStd);
        }

        /** The same processor with other pixel bounds (e.g. ms-swift's MAX_PIXELS). */
        public Config withPixels(long min, long max) {
            return new Config(
                    patchSize,
                    temporalPatchSize,
                    mergeSize,
                    min,
                    max,
                    doResize,
                    resample,
                    doRescale,
                    rescaleFactor,
                    doNormalize,
                    imageMean,
                    imageStd);
        }
    }

    private final Config config;
    private final Normalizer normalizer;

    public Qwen2VlImageProcessor(Config config) {
        if (config.patchSize() <= 0 || config.mergeSize() <= 0 || config.temporalPatchSize() <= 0) {
            throw new IllegalArgumentException(
                    "patch_size, merge_size and temporal_patch_size must be positive: " + config);
        }
        if (config.minPixels() > config.maxPixels()) {
            throw new IllegalArgumentException(
                    "min_pixels " + config.minPixels() + " is more than max_pixels " + config.maxPixels());
        }
        this.config = config;
        this.normalizer = new Normalizer(
                config.doRescale(),
                config.rescaleFactor(),
                config.doNormalize(),
                config.imageMean(),
                config.imageStd());
    }

    /** Reads the fields transformers reads, with its defaults for those missing. */
    static Config config(ProcessorConfig json, long defaultMinPixels, long defaultMaxPixels) {
        long min = defaultMinPixels;
        long max = defaultMaxPixels;
        JsonNode size = json.node("size");
        if (size != null) {
            for (String f : new String[] {"shortest_edge", "min_pixels"}) {
                if (size.get(f) != null) {
                    min = json.integer("size." + f, size.get(f));
                }
            }
            for (String f : new String[] {"longest_edge", "max_pixels"}) {
                if (size.get(f) != null) {
                    max = json.integer("size." + f, size.get(f));
                }
            }
        }
        min = json.integer("min_pixels", min);
        max = json.integer("max_pixels", max);
        if (min > max) {
            throw json.error("min_pixels", "(" + min + ") is more than max_pixels (" + max + ")");
        }
        return new Config(
                (int) json.integer("patch_size", 14),
                (int) json.integer("temporal_patch_size", 2),
                (int) json.integer("merge_size", 2),
                min,
                max,
                json.flag("do_resize", true),
                Interpolation.torchForPilResample((int) json.integer("resample", 3), json.source()),
                json.flag("do_rescale", true),
                json.number("rescale_factor", 1 / 255.0),
                json.flag("do_normalize", true),
                json.channels("image_mean", CLIP_MEAN),
                json.channels("image_std", CLIP_STD));
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return "Qwen2VLImageProcessor";
    }

    /**
     * transformers' {@code smart_resize}: the (height, width) nearest the picture's with both sides multiples
     * of {@code factor} and height·width within [minPixels, maxPixels], keeping the aspect ratio.
     */
    public static int[] smartResize(int height, int width, int factor, long minPixels, long maxPixels) {
        return smartResize(height, width, factor, (double) minPixels, (double) maxPixels);
    }

    /** {@link #smartResize(int, int, int, long, long)} with fractional bounds, as qwen-vl-utils' video bounds are. */
    public static int[] smartResize(int height, int width, int factor, double minPixels, double maxPixels) {
        if ((double) Math.max(height, width) / Math.min(height, width) > 200) {
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, got "
                    + (double) Math.max(height, width) / Math.min(height, width) + " (" + width + "x" + height + ")");
        }
        // Python's round() rounds half to even, as Math.rint does
        long h = (long) Math.rint((double) height / factor) * factor;
        long w = (long) Math.rint((double) width / factor) * factor;
        if (h * w > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            h = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
            w = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
        } else if (h * w < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            h = (long) Math.ceil(height * beta / factor) * factor;
            w = (long) Math.ceil(width * beta / factor) * factor;
        }
        return new int[] {(int) h, (int) w};
    }

    @Override
    public int tokens(int width, int height) {
        int[] hw = resizedSize(height, width);
        return (hw[0] / config.patchSize()) * (hw[1] / config.patchSize()) / (config.mergeSize() * config.mergeSize());
    }

    private int[] resizedSize(int height, int width) {
        return config.doResize()
                ? smartResize(height, width, config.factor(), config.minPixels(), config.maxPixels())
                : new int[] {height, width};
    }

    private RgbImage resized(RgbImage image) {
        int[] hw = resizedSize(image.height(), image.width());
        if (hw[0] % config.factor() != 0 || hw[1] % config.factor() != 0) {
            throw new IllegalArgumentException("with do_resize false, a picture's sides must be multiples of "
                    + config.factor() + ", got " + image.width() + "x" + image.height());
        }
        return Resampler.resize(image, hw[1], hw[0], config.resample());
    }

    /** {@code pixel_values} (N patches, C·T·P·P) and {@code image_grid_thw} of the images, in order. */
    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        List<List<RgbImage>> asVideos = new ArrayList<>();
        for (RgbImage image : images) {
            asVideos.add(List.of(image));
        }
        return patches(asVideos);
    }

    /**
     * {@code pixel_values_videos} and {@code video_grid_thw}, as {@code Qwen2VLVideoProcessor} makes them from
     * frames already sampled: each video's frames resized to one size, the last frame repeated up to a multiple
     * of the temporal patch size. Use a processor configured from the model's video processor config.
     */
    public PixelValues preprocessVideos(List<List<RgbImage>> videos) {
        for (List<RgbImage> frames : videos) {
            if (frames.isEmpty()) {
                throw new IllegalArgumentException("a video needs at least one frame");
            }
        }
        return patches(videos);
    }

    private PixelValues patches(List<List<RgbImage>> videos) {
        int t = config.temporalPatchSize();
        int p = config.patchSize();
        int rowLength = 3 * t * p * p;
        List<List<RgbImage>> prepared = new ArrayList<>();
        int[][] grid = new int[videos.size()][];
        int[] tokens = new int[videos.size()];
        long rows = 0;
        for (int v = 0; v < videos.size(); v++) {
            List<RgbImage> frames = new ArrayList<>();
            RgbImage first = videos.get(v).get(0);
            for (RgbImage frame : videos.get(v)) {
                if (frame.width() != first.width() || frame.height() != first.height()) {
                    throw new IllegalArgumentException("the frames of a video must share one size: " + first.width()
                            + "x" + first.height() + " and " + frame.width() + "x" + frame.height());
                }
                frames.add(resized(frame));
            }
            while (frames.size() % t != 0) {
                frames.add(frames.get(frames.size() - 1)); // transformers repeats the last frame
            }
            RgbImage size = frames.get(0);
            grid[v] = new int[] {frames.size() / t, size.height() / p, size.width() / p};
            tokens[v] = grid[v][0] * grid[v][1] * grid[v][2] / (config.mergeSize() * config.mergeSize());
            rows += (long) grid[v][0] * grid[v][1] * grid[v][2];
            prepared.add(frames);
        }
        if (rows * rowLength > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + " patches are too many for one array; lower max_pixels");
        }
        float[] data = new float[(int) (rows * rowLength)];
        int offset = 0;
        for (List<RgbImage> frames : prepared) {
            offset += Patches.write(frames, t, p, config.mergeSize(), normalizer, data, offset);
        }
        return new PixelValues(data, new long[] {rows, rowLength}, grid, tokens);
    }
}
