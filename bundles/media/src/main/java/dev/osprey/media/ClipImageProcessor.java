package dev.osprey.media;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.impl.Normalizer;
import dev.osprey.media.impl.Patches;
import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * transformers' {@code CLIPImageProcessor} (LLaVA 1.5 and other CLIP towers) and {@code SiglipImageProcessor}
 * (PaliGemma), which is the same pipeline with a fixed size and no crop: resize (the shortest edge to
 * {@code size.shortest_edge}, the other as {@code int(s · long / short)}; or to {@code size.height×width}) with
 * torchvision's antialiased interpolation, center crop (zero padding where the crop is larger), rescale,
 * normalise; {@code pixel_values} is (N, 3, H, W).
 */
public final class ClipImageProcessor implements ImageProcessor {

    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    /**
     * @param shortestEdge {@code size.shortest_edge}, or 0 when {@code size} gives height and width
     * @param cropHeight 0 without a center crop
     * @param tokensPerImage {@code image_seq_length} where the config has it (PaliGemma), else -1: the vision
     *     tower's patch size decides (LLaVA 1.5: (336/14)² = 576)
     */
    public record Config(
            String name,
            boolean doResize,
            int shortestEdge,
            int height,
            int width,
            Interpolation resample,
            boolean doCenterCrop,
            int cropHeight,
            int cropWidth,
            boolean doRescale,
            double rescaleFactor,
            boolean doNormalize,
            double[] imageMean,
            double[] imageStd,
            int tokensPerImage) {}

    private final Config config;
    private final Normalizer normalizer;

    public ClipImageProcessor(Config config) {
        this.config = config;
        this.normalizer = new Normalizer(
                config.doRescale(),
                config.rescaleFactor(),
                config.doNormalize(),
                config.imageMean(),
                config.imageStd());
    }

    /** {@code siglip}: SigLIP's defaults (224×224, mean and std 0.5, no crop) instead of CLIP's. */
    static Config config(ProcessorConfig json, String name, boolean siglip) {
        int shortest = 0;
        int height = 0;
        int width = 0;
        JsonNode size = json.node("size");
        if (size == null) {
            if (siglip) {
                height = 224;
                width = 224;
            } else {
                shortest = 224;
            }
        } else if (size.isNumber()) {
            shortest = (int) json.integer("size", size);
        } else if (size.get("shortest_edge") != null) {
            shortest = (int) json.integer("size.shortest_edge", size.get("shortest_edge"));
        } else if (size.get("height") != null && size.get("width") != null) {
            height = (int) json.integer("size.height", size.get("height"));
            width = (int) json.integer("size.width", size.get("width"));
        } else {
            throw json.error("size", "must give shortest_edge, or height and width, got " + size);
        }
        int cropHeight = 0;
        int cropWidth = 0;
        boolean crop = json.flag("do_center_crop", !siglip);
        if (crop) {
            JsonNode c = json.node("crop_size");
            if (c == null) {
                cropHeight = 224;
                cropWidth = 224;
            } else if (c.isNumber()) {
                cropHeight = cropWidth = (int) json.integer("crop_size", c);
            } else if (c.get("height") != null && c.get("width") != null) {
                cropHeight = (int) json.integer("crop_size.height", c.get("height"));
                cropWidth = (int) json.integer("crop_size.width", c.get("width"));
            } else {
                throw json.error("crop_size", "must give height and width, got " + c);
            }
        }
        double[] half = {0.5, 0.5, 0.5};
        return new Config(
                name,
                json.flag("do_resize", true),
                shortest,
                height,
                width,
                Interpolation.torchForPilResample((int) json.integer("resample", 3), json.source()),
                crop,
                cropHeight,
                cropWidth,
                json.flag("do_rescale", true),
                json.number("rescale_factor", 1 / 255.0),
                json.flag("do_normalize", true),
                json.channels("image_mean", siglip ? half : CLIP_MEAN),
                json.channels("image_std", siglip ? half : CLIP_STD),
                (int) json.integer("image_seq_length", -1));
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public int tokens(int width, int height) {
        return config.tokensPerImage();
    }

    /** The size after the resize, before the crop: (height, width). */
    int[] resizedSize(int height, int width) {
        if (!config.doResize()) {
            return new int[] {height, width};
        }
        if (config.shortestEdge() > 0) {
            int s = config.shortestEdge();
            boolean portrait = width <= height;
            int shorter = portrait ? width : height;
            int longer = portrait ? height : width;
            int newLong = (int) ((double) ((long) s * longer) / shorter); // Python: int(s * long / short)
            return portrait ? new int[] {newLong, s} : new int[] {s, newLong};
        }
        return new int[] {config.height(), config.width()};
    }

    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        RgbImage[] ready = new RgbImage[images.size()];
        for (int i = 0; i < ready.length; i++) {
            RgbImage image = images.get(i);
            int[] hw = resizedSize(image.height(), image.width());
            image = Resampler.resize(image, hw[1], hw[0], config.resample());
            ready[i] = config.doCenterCrop() ? centerCrop(image, config.cropHeight(), config.cropWidth()) : image;
            if (ready[i].width() != ready[0].width() || ready[i].height() != ready[0].height()) {
                throw new IllegalArgumentException("the images of one batch end up with different sizes ("
                        + ready[0].width() + "x" + ready[0].height() + ", " + ready[i].width() + "x" + ready[i].height()
                        + "); process them one at a time");
            }
        }
        if (ready.length == 0) {
            return new PixelValues(new float[0], new long[] {0, 3, 0, 0}, new int[0][], new int[0]);
        }
        int h = ready[0].height();
        int w = ready[0].width();
        float[] data = new float[ready.length * 3 * h * w];
        int[] tokens = new int[ready.length];
        for (int i = 0; i < ready.length; i++) {
            Patches.writePlanes(ready[i], normalizer, data, i * 3 * h * w);
            tokens[i] = config.tokensPerImage();
        }
        return new PixelValues(data, new long[] {ready.length, 3, h, w}, new int[0][], tokens);
    }

    /** torchvision's center crop: zero padding (left/top get the smaller half) where the crop is larger. */
    static RgbImage centerCrop(RgbImage image, int cropHeight, int cropWidth) {
        int w = image.width();
        int h = image.height();
        int padLeft = cropWidth > w ? (cropWidth - w) / 2 : 0;
        int padTop = cropHeight > h ? (cropHeight - h) / 2 : 0;
        int paddedW = cropWidth > w ? w + padLeft + (cropWidth - w + 1) / 2 : w;
        int paddedH = cropHeight > h ? h + padTop + (cropHeight - h + 1) / 2 : h;
        int top = (int) ((paddedH - cropHeight) / 2.0);
        int left = (int) ((paddedW - cropWidth) / 2.0);
        byte[] out = new byte[cropWidth * cropHeight * 3];
        for (int y = 0; y < cropHeight; y++) {
            int sy = y + top - padTop;
            if (sy < 0 || sy >= h) {
                continue;
            }
            for (int x = 0; x < cropWidth; x++) {
                int sx = x + left - padLeft;
                if (sx >= 0 && sx < w) {
                    System.arraycopy(image.rgb(), (sy * w + sx) * 3, out, (y * cropWidth + x) * 3, 3);
                }
            }
        }
        return new RgbImage(cropWidth, cropHeight, out);
    }
}
