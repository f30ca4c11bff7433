package dev.osprey.media;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.impl.Normalizer;
import dev.osprey.media.impl.Patches;
import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * transformers' {@code PixtralImageProcessor} (Pixtral, Mistral 3): each image keeps its aspect ratio, scaled down
 * (floor) until it fits {@code size.longest_edge} on both sides, then each side rounded up to a whole number of
 * patches and resized there with torchvision's antialiased interpolation; rescale and normalise; the batch padded with
 * zeros at the bottom and right to its largest height and width. {@code pixel_values} is (N, 3, H, W); per image
 * {@link PixelValues#gridThw()} is (1, rows, columns) in patches, so its {@code image_sizes} is rows·patch by
 * columns·patch pixels, and {@link PixelValues#tokens()} its rows·columns image tokens. {@code PixtralProcessor}
 * passes its {@code patch_size · spatial_merge_size} as the patch size ({@link #withPatchSize}).
 */
public final class PixtralImageProcessor implements ImageProcessor {

    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    /**
     * @param maxHeight {@code size.longest_edge} (or {@code size.height})
     * @param maxWidth {@code size.longest_edge} (or {@code size.width})
     * @param patchSize the side of a patch the sizes are rounded to
     */
    public record Config(
            boolean doResize,
            int maxHeight,
            int maxWidth,
            int patchSize,
            Interpolation resample,
            boolean doRescale,
            double rescaleFactor,
            boolean doNormalize,
            double[] imageMean,
            double[] imageStd) {}

    private final Config config;
    private final Normalizer normalizer;

    public PixtralImageProcessor(Config config) {
        if (config.patchSize() <= 0 || config.maxHeight() <= 0 || config.maxWidth() <= 0) {
            throw new MediaException("PixtralImageProcessor: patch_size and size must be positive, were "
                    + config.patchSize() + " and " + config.maxHeight() + "x" + config.maxWidth());
        }
        this.config = config;
        this.normalizer = new Normalizer(
                config.doRescale(),
                config.rescaleFactor(),
                config.doNormalize(),
                config.imageMean(),
                config.imageStd());
    }

    static Config config(ProcessorConfig json) {
        int maxHeight = 1024;
        int maxWidth = 1024;
        JsonNode size = json.node("size");
        if (size != null && size.get("longest_edge") != null) {
            maxHeight = maxWidth = (int) json.integer("size.longest_edge", size.get("longest_edge"));
        } else if (size != null && size.get("height") != null && size.get("width") != null) {
            maxHeight = (int) json.integer("size.height", size.get("height"));
            maxWidth = (int) json.integer("size.width", size.get("width"));
        } else if (size != null) {
            throw json.error("size", "must give longest_edge, or height and width, got " + size);
        }
        int patch = 16;
        JsonNode p = json.node("patch_size");
        if (p != null && p.isNumber()) {
            patch = (int) json.integer("patch_size", p);
        } else if (p != null && p.get("height") != null && p.get("width") != null) {
            patch = (int) json.integer("patch_size.height", p.get("height"));
            if (json.integer("patch_size.width", p.get("width")) != patch) {
                throw json.error("patch_size", "must be square, got " + p);
            }
        } else if (p != null) {
            throw json.error("patch_size", "must be a number or height and width, got " + p);
        }
        return new Config(
                json.flag("do_resize", true),
                maxHeight,
                maxWidth,
                patch,
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

    /** The same processor with patches of {@code patch} pixels ({@code PixtralProcessor}'s patch · merge). */
    public PixtralImageProcessor withPatchSize(int patch) {
        Config c = config;
        return new PixtralImageProcessor(new Config(
                c.doResize(),
                c.maxHeight(),
                c.maxWidth(),
                patch,
                c.resample(),
                c.doRescale(),
                c.rescaleFactor(),
                c.doNormalize(),
                c.imageMean(),
                c.imageStd()));
    }

    @Override
    public String name() {
        return "PixtralImageProcessor";
    }

    /** rows·columns of the image's patches after the resize. */
    @Override
    public int tokens(int width, int height) {
        int[] hw = resizedSize(height, width);
        return (hw[0] / config.patchSize()) * (hw[1] / config.patchSize());
    }

    /** (height, width) after the resize: whole patches ({@code get_resize_output_image_size}). */
    public int[] resizedSize(int height, int width) {
        if (!config.doResize()) {
            return new int[] {height, width};
        }
        double ratio = Math.max((double) height / config.maxHeight(), (double) width / config.maxWidth());
        if (ratio > 1) {
            height = (int) Math.floor(height / ratio);
            width = (int) Math.floor(width / ratio);
        }
        int p = config.patchSize();
        return new int[] {((height - 1) / p + 1) * p, ((width - 1) / p + 1) * p};
    }

    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        RgbImage[] ready = new RgbImage[images.size()];
        int maxH = 0;
        int maxW = 0;
        for (int i = 0; i < ready.length; i++) {
            RgbImage image = images.get(i);
            int[] hw = resizedSize(image.height(), image.width());
            ready[i] = config.doResize() ? Resampler.resize(image, hw[1], hw[0], config.resample()) : image;
            maxH = Math.max(maxH, ready[i].height());
            maxW = Math.max(maxW, ready[i].width());
        }
        float[] data = new float[ready.length * 3 * maxH * maxW];
        int[][] grids = new int[ready.length][];
        int[] tokens = new int[ready.length];
        int p = config.patchSize();
        for (int i = 0; i < ready.length; i++) {
            int h = ready[i].height();
            int w = ready[i].width();
            float[] planes = new float[3 * h * w];
            Patches.writePlanes(ready[i], normalizer, planes, 0);
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(planes, (c * h + y) * w, data, ((i * 3 + c) * maxH + y) * maxW, w);
                }
            }
            grids[i] = new int[] {1, h / p, w / p};
            tokens[i] = (h / p) * (w / p);
        }
        return new PixelValues(data, new long[] {ready.length, 3, maxH, maxW}, grids, tokens);
    }
}
