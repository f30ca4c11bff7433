package dev.osprey.media;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.osprey.media.impl.Normalizer;
import dev.osprey.media.impl.Patches;
import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * transformers' {@code Gemma3ImageProcessor} (the torchvision backend): SigLIP's pipeline ({@link ClipImageProcessor}'s
 * fixed-size resize, bilinear by default, rescale and normalise) and, with {@code do_pan_and_scan}, pan-and-scan: an
 * image whose longer side is at least {@code pan_and_scan_min_ratio_to_activate} times its shorter is also cut along
 * the longer side into 2 to {@code pan_and_scan_max_num_crops} crops of at least {@code pan_and_scan_min_crop_size}
 * pixels, each resized like the image. {@code pixel_values} is (N, 3, H, W), each image followed by its crops;
 * {@link Processed#numCrops} says how many each has, and {@link #expandPrompt} writes the prompt Gemma3Processor
 * makes of them. Missing pan-and-scan fields take Gemma3Processor's defaults (256, 4, 1.2), which it passes the image
 * processor, as it passes {@code do_convert_rgb} (the decoder's RGB is that).
 */
public final class Gemma3ImageProcessor implements ImageProcessor {

    /** The token that stands for an image in a Gemma 3 prompt, and the tokens it becomes. */
    public static final String BOI = "<start_of_image>";

    public static final String EOI = "<end_of_image>";
    public static final String IMAGE_TOKEN = "<image_soft_token>";

    /** Gemma3Processor's text before an image that has pan-and-scan crops, and between the image and its crops. */
    public static final String BEFORE_CROPPED_IMAGE = "Here is the original image ";

    public static final String BEFORE_CROPS = " and here are some crops to help you see better ";

    /**
     * @param siglip the resize, rescale and normalisation
     * @param panAndScan {@code do_pan_and_scan}
     * @param minCropSize {@code pan_and_scan_min_crop_size}
     * @param maxCrops {@code pan_and_scan_max_num_crops}
     * @param minRatio {@code pan_and_scan_min_ratio_to_activate}
     */
    public record Config(
            ClipImageProcessor.Config siglip, boolean panAndScan, int minCropSize, int maxCrops, double minRatio) {}

    /** The pixel values of a batch and, per image, how many crops follow it. */
    public record Processed(PixelValues pixels, int[] numCrops) {}

    private final Config config;
    private final Normalizer normalizer;

    public Gemma3ImageProcessor(Config config) {
        this.config = config;
        ClipImageProcessor.Config s = config.siglip();
        this.normalizer =
                new Normalizer(s.doRescale(), s.rescaleFactor(), s.doNormalize(), s.imageMean(), s.imageStd());
    }

    static Config config(ProcessorConfig json) {
        ClipImageProcessor.Config s = ClipImageProcessor.config(json, "Gemma3ImageProcessor", true);
        ClipImageProcessor.Config gemma3 = new ClipImageProcessor.Config(
                s.name(),
                s.doResize(),
                s.shortestEdge(),
                s.height(),
                s.width(),
                Interpolation.torchForPilResample((int) json.integer("resample", 2), json.source()), // bilinear
                false,
                0,
                0,
                s.doRescale(),
                s.rescaleFactor(),
                s.doNormalize(),
                s.imageMean(),
                s.imageStd(),
                s.tokensPerImage() < 0 ? 256 : s.tokensPerImage());
        if (gemma3.shortestEdge() > 0) {
            throw json.error("size", "must give height and width for Gemma 3");
        }
        int minCrop = (int) json.integer("pan_and_scan_min_crop_size", 256);
        int maxCrops = (int) json.integer("pan_and_scan_max_num_crops", 4);
        if (minCrop <= 0 || maxCrops < 2) {
            throw json.error(
                    "pan_and_scan_min_crop_size",
                    "must be positive, with pan_and_scan_max_num_crops at least 2 (were " + minCrop + ", " + maxCrops
                            + ")");
        }
        return new Config(
                gemma3,
                json.flag("do_pan_and_scan", false),
                minCrop,
                maxCrops,
                json.number("pan_and_scan_min_ratio_to_activate", 1.2));
    }

    public Config config() {
        return config;
    }

    /**
     * This processor with the pan-and-scan settings of {@code env} over the config's, as the keyword arguments of a
     * processor call override the config (transformers' {@code processor(..., do_pan_and_scan=True)}; vLLM's
     * {@code mm_processor_kwargs}): {@code DO_PAN_AND_SCAN} (true/false/1/0), {@code PAN_AND_SCAN_MIN_CROP_SIZE},
     * {@code PAN_AND_SCAN_MAX_NUM_CROPS}, {@code PAN_AND_SCAN_MIN_RATIO_TO_ACTIVATE}, upper-cased as ms-swift names a
     * processor argument it reads from the environment. Unset ones keep the config's.
     */
    public Gemma3ImageProcessor withEnvironment(Map<String, String> env) {
        String flag = env.get("DO_PAN_AND_SCAN");
        boolean panAndScan = config.panAndScan();
        if (flag != null && !flag.isBlank()) {
            panAndScan = switch (flag.strip().toLowerCase(Locale.ROOT)) {
                case "true", "1" -> true;
                case "false", "0" -> false;
                default ->
                    throw new MediaException(
                            "environment variable DO_PAN_AND_SCAN=" + flag + " must be true, false, 1 or 0");
            };
        }
        int minCrop = (int) whole(env, "PAN_AND_SCAN_MIN_CROP_SIZE", config.minCropSize(), 1);
        int maxCrops = (int) whole(env, "PAN_AND_SCAN_MAX_NUM_CROPS", config.maxCrops(), 2);
        double minRatio = config.minRatio();
        String ratio = env.get("PAN_AND_SCAN_MIN_RATIO_TO_ACTIVATE");
        if (ratio != null && !ratio.isBlank()) {
            try {
                minRatio = Double.parseDouble(ratio.strip());
            } catch (NumberFormatException e) {
                throw new MediaException(
                        "environment variable PAN_AND_SCAN_MIN_RATIO_TO_ACTIVATE=" + ratio + " is not a number");
            }
        }
        Config changed = new Config(config.siglip(), panAndScan, minCrop, maxCrops, minRatio);
        return changed.equals(config) ? this : new Gemma3ImageProcessor(changed);
    }

    private static long whole(Map<String, String> env, String name, long fallback, long least) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= least && n <= Integer.MAX_VALUE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new MediaException(
                "environment variable " + name + "=" + v + " must be a whole number of at least " + least);
    }

    @Override
    public String name() {
        return "Gemma3ImageProcessor";
    }

    /** {@code image_seq_length} per image or crop. */
    @Override
    public int tokens(int width, int height) {
        return config.siglip().tokensPerImage();
    }

    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        return process(images).pixels();
    }

    /** The pixel values of {@code images}, each followed by its pan-and-scan crops, and the crops per image. */
    public Processed process(List<RgbImage> images) {
        ClipImageProcessor.Config s = config.siglip();
        List<RgbImage> ready = new ArrayList<>();
        int[] numCrops = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = images.get(i);
            List<RgbImage> crops = config.panAndScan() ? panAndScan(image) : List.of();
            numCrops[i] = crops.size();
            ready.add(resized(image));
            for (RgbImage crop : crops) {
                ready.add(resized(crop));
            }
        }
        if (ready.isEmpty()) {
            return new Processed(
                    new PixelValues(new float[0], new long[] {0, 3, 0, 0}, new int[0][], new int[0]), numCrops);
        }
        int h = ready.get(0).height();
        int w = ready.get(0).width();
        float[] data = new float[ready.size() * 3 * h * w];
        int[] tokens = new int[ready.size()];
        for (int i = 0; i < ready.size(); i++) {
            RgbImage image = ready.get(i);
            if (image.width() != w || image.height() != h) {
                throw new IllegalArgumentException("do_resize is false and the images differ in size (" + w + "x" + h
                        + ", " + image.width() + "x" + image.height() + "); process them one at a time");
            }
            Patches.writePlanes(image, normalizer, data, i * 3 * h * w);
            tokens[i] = s.tokensPerImage();
        }
        return new Processed(new PixelValues(data, new long[] {ready.size(), 3, h, w}, new int[0][], tokens), numCrops);
    }

    private RgbImage resized(RgbImage image) {
        ClipImageProcessor.Config s = config.siglip();
        return s.doResize() ? Resampler.resize(image, s.width(), s.height(), s.resample()) : image;
    }

    /** transformers' {@code pan_and_scan_batched}: the crops of one image, row by row, or none. */
    List<RgbImage> panAndScan(RgbImage image) {
        int width = image.width();
        int height = image.height();
        int cropsW;
        int cropsH;
        if (width >= height) {
            if ((double) width / height < config.minRatio()) {
                return List.of();
            }
            cropsW = (int) Math.floor((double) width / height + 0.5); // half rounds up
            cropsW = Math.min((int) Math.floor((double) width / config.minCropSize()), cropsW);
            cropsW = Math.min(config.maxCrops(), Math.max(2, cropsW));
            cropsH = 1;
        } else {
            if ((double) height / width < config.minRatio()) {
                return List.of();
            }
            cropsH = (int) Math.floor((double) height / width + 0.5);
            cropsH = Math.min((int) Math.floor((double) height / config.minCropSize()), cropsH);
            cropsH = Math.min(config.maxCrops(), Math.max(2, cropsH));
            cropsW = 1;
        }
        int cropW = (int) Math.ceil((double) width / cropsW);
        int cropH = (int) Math.ceil((double) height / cropsH);
        if (Math.min(cropW, cropH) < config.minCropSize()) {
            return List.of();
        }
        List<RgbImage> crops = new ArrayList<>();
        for (int row = 0; row < cropsH; row++) {
            for (int column = 0; column < cropsW; column++) {
                crops.add(crop(image, column * cropW, row * cropH, cropW, cropH));
            }
        }
        return crops;
    }

    /** {@code image[y:y+h, x:x+w]}, cut short at the image's edge as a slice is. */
    private static RgbImage crop(RgbImage image, int x, int y, int w, int h) {
        int cw = Math.min(w, image.width() - x);
        int ch = Math.min(h, image.height() - y);
        byte[] out = new byte[cw * ch * 3];
        for (int row = 0; row < ch; row++) {
            System.arraycopy(image.rgb(), ((y + row) * image.width() + x) * 3, out, row * cw * 3, cw * 3);
        }
        return new RgbImage(cw, ch, out);
    }

    /**
     * Gemma3Processor's prompt: each {@code <start_of_image>} of an image with crops becomes "Here is the original
     * image <start_of_image> and here are some crops to help you see better " and one {@code <start_of_image>} per
     * crop, separated by spaces; then every {@code <start_of_image>} becomes
     * {@code "\n\n<start_of_image>" + "<image_soft_token>" × imageSeqLength + "<end_of_image>\n\n"}.
     *
     * @param numCrops per {@code <start_of_image>} of the prompt, in order, its image's crops
     * @throws IllegalArgumentException when the prompt has another number of {@code <start_of_image>}
     */
    public static String expandPrompt(String prompt, int[] numCrops, int imageSeqLength) {
        List<Integer> at = new ArrayList<>();
        for (int i = prompt.indexOf(BOI); i >= 0; i = prompt.indexOf(BOI, i + 1)) {
            at.add(i);
        }
        if (at.size() != numCrops.length) {
            throw new IllegalArgumentException(
                    "the prompt has " + at.size() + " " + BOI + " but " + numCrops.length + " images were given");
        }
        StringBuilder text = new StringBuilder(prompt);
        for (int k = at.size() - 1; k >= 0; k--) {
            if (numCrops[k] > 0) {
                StringBuilder crops = new StringBuilder(BEFORE_CROPPED_IMAGE + BOI + BEFORE_CROPS);
                for (int c = 0; c < numCrops[k]; c++) {
                    crops.append(c == 0 ? "" : " ").append(BOI);
                }
                text.replace(at.get(k), at.get(k) + BOI.length(), crops.toString());
            }
        }
        String sequence = "\n\n" + BOI + IMAGE_TOKEN.repeat(imageSeqLength) + EOI + "\n\n";
        return text.toString().replace(BOI, sequence);
    }
}
