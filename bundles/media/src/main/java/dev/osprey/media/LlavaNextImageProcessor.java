package dev.osprey.media;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * transformers' {@code LlavaNextImageProcessor} (LLaVA-NeXT's any resolution): each image is resized, keeping its
 * aspect ratio, into the {@code image_grid_pinpoints} resolution that keeps most of it (then wastes least), padded
 * with black to that resolution evenly on both sides, and cut row by row into tiles of {@code crop_size}; before the
 * tiles comes the whole image squashed to {@code shortest_edge} x {@code shortest_edge}. Every tile then takes CLIP's
 * pipeline ({@link ClipImageProcessor}); images with fewer tiles are padded with zero tiles. {@code pixel_values} is
 * (N, tiles, 3, S, S); per image {@link PixelValues#gridThw()} is (tiles, original height, original width): the
 * tiles it uses and its {@code image_sizes}. Its token count depends on the model's tower, so {@link #tokens} is -1.
 *
 * <p>{@code LlavaOnevisionImageProcessor} ({@link #oneVision}) is the same with SigLIP's pipeline per tile (a resize
 * to {@code size}'s height and width, no crop) and one rule more: the images of a prompt with several are not tiled,
 * each padded to a square with {@code image_mean}'s colour instead (as its {@code batch_num_images} says for a
 * conversation's images).
 */
public final class LlavaNextImageProcessor implements ImageProcessor {

    private final ClipImageProcessor clip;
    private final List<int[]> pinpoints;
    private final boolean oneVision;

    public LlavaNextImageProcessor(ClipImageProcessor clip, List<int[]> pinpoints) {
        this(clip, pinpoints, false);
    }

    private LlavaNextImageProcessor(ClipImageProcessor clip, List<int[]> pinpoints, boolean oneVision) {
        if (pinpoints.isEmpty()) {
            throw new MediaException(clip.config().name() + ": image_grid_pinpoints is empty");
        }
        this.clip = clip;
        this.pinpoints = List.copyOf(pinpoints);
        this.oneVision = oneVision;
    }

    static LlavaNextImageProcessor of(ProcessorConfig json) {
        ClipImageProcessor clip =
                new ClipImageProcessor(ClipImageProcessor.config(json, "LlavaNextImageProcessor", false));
        int[][] defaults = {{336, 672}, {672, 336}, {672, 672}, {1008, 336}, {336, 1008}};
        return new LlavaNextImageProcessor(clip, pinpoints(json, defaults));
    }

    /** {@code LlavaOnevisionImageProcessor}: SigLIP's pipeline per tile, a prompt's several images untiled. */
    static LlavaNextImageProcessor oneVision(ProcessorConfig json) {
        ClipImageProcessor clip =
                new ClipImageProcessor(ClipImageProcessor.config(json, "LlavaOnevisionImageProcessor", true));
        int[][] defaults = new int[36][]; // 384 to 2304 by 384, each way
        for (int i = 0; i < 36; i++) {
            defaults[i] = new int[] {384 * (i / 6 + 1), 384 * (i % 6 + 1)};
        }
        return new LlavaNextImageProcessor(clip, pinpoints(json, defaults), true);
    }

    private static List<int[]> pinpoints(ProcessorConfig json, int[][] defaults) {
        List<int[]> pinpoints = new ArrayList<>();
        JsonNode given = json.node("image_grid_pinpoints");
        if (given == null) {
            for (int[] p : defaults) {
                pinpoints.add(p);
            }
        } else if (given.isArray()) {
            for (JsonNode p : given) {
                if (!p.isArray() || p.size() != 2) {
                    throw json.error("image_grid_pinpoints", "must hold [height, width] pairs, has " + p);
                }
                pinpoints.add(new int[] {p.get(0).asInt(), p.get(1).asInt()});
            }
        } else {
            throw json.error("image_grid_pinpoints", "must be a list, got " + given);
        }
        return pinpoints;
    }

    @Override
    public String name() {
        return clip.config().name();
    }

    public List<int[]> pinpoints() {
        return pinpoints;
    }

    /** -1: the count depends on the model's tower (patches per tile, the class token). */
    @Override
    public int tokens(int width, int height) {
        return -1;
    }

    /** (height, width) of the pinpoint an image of this size is resized into ({@code select_best_resolution}). */
    public int[] bestResolution(int height, int width) {
        int[] best = null;
        long mostKept = 0;
        long leastWasted = Long.MAX_VALUE;
        for (int[] p : pinpoints) {
            double scale = Math.min((double) p[1] / width, (double) p[0] / height);
            long w = (long) (width * scale);
            long h = (long) (height * scale);
            long kept = Math.min(w * h, (long) width * height);
            long wasted = (long) p[0] * p[1] - kept;
            if (kept > mostKept || (kept == mostKept && wasted < leastWasted)) {
                mostKept = kept;
                leastWasted = wasted;
                best = p;
            }
        }
        return best;
    }

    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        ClipImageProcessor.Config c = clip.config();
        int tile = c.doCenterCrop() ? c.cropHeight() : c.shortestEdge() > 0 ? c.shortestEdge() : c.height();
        int baseSide = c.shortestEdge() > 0 ? c.shortestEdge() : c.height();
        List<PixelValues> perImage = new ArrayList<>();
        int most = 0;
        boolean tiled = !oneVision || images.size() == 1;
        for (RgbImage image : images) {
            if (!tiled) {
                PixelValues values = clip.preprocess(List.of(padToSquare(image, c.imageMean()))); // (1, 3, S, S)
                perImage.add(values);
                most = Math.max(most, 1);
                continue;
            }
            int[] target = bestResolution(image.height(), image.width());
            List<RgbImage> tiles = new ArrayList<>();
            tiles.add(Resampler.resize(image, c.shortestEdge() > 0 ? baseSide : c.width(), baseSide, c.resample()));
            RgbImage padded = padInto(resizeInto(image, target, c), target);
            for (int y = 0; y < padded.height(); y += tile) {
                for (int x = 0; x < padded.width(); x += tile) {
                    tiles.add(crop(padded, x, y, tile));
                }
            }
            PixelValues values = clip.preprocess(tiles); // (tiles, 3, S, S)
            perImage.add(values);
            most = Math.max(most, tiles.size());
        }
        if (perImage.isEmpty()) {
            return new PixelValues(new float[0], new long[] {0, 0, 3, 0, 0}, new int[0][], new int[0]);
        }
        long[] one = perImage.get(0).shape();
        int each = (int) (one[1] * one[2] * one[3]);
        float[] data = new float[perImage.size() * most * each];
        int[][] grids = new int[perImage.size()][];
        int[] tokens = new int[perImage.size()];
        for (int i = 0; i < perImage.size(); i++) {
            float[] d = perImage.get(i).data();
            System.arraycopy(d, 0, data, i * most * each, d.length);
            grids[i] = new int[] {
                d.length / each, images.get(i).height(), images.get(i).width()
            };
            tokens[i] = -1;
        }
        return new PixelValues(data, new long[] {perImage.size(), most, one[1], one[2], one[3]}, grids, tokens);
    }

    /** The image scaled to fit the target, its aspect kept ({@code get_patch_output_size}, ceil). */
    private static RgbImage resizeInto(RgbImage image, int[] target, ClipImageProcessor.Config c) {
        double scaleW = (double) target[1] / image.width();
        double scaleH = (double) target[0] / image.height();
        int w;
        int h;
        if (scaleW < scaleH) {
            w = target[1];
            h = (int) Math.min(Math.ceil(image.height() * scaleW), target[0]);
        } else {
            h = target[0];
            w = (int) Math.min(Math.ceil(image.width() * scaleH), target[1]);
        }
        return Resampler.resize(image, w, h, c.resample());
    }

    /** Black around the image, the odd pixel at the right and bottom ({@code _get_padding_size}). */
    private static RgbImage padInto(RgbImage image, int[] target) {
        int left = (target[1] - image.width()) / 2;
        int top = (target[0] - image.height()) / 2;
        byte[] out = new byte[target[0] * target[1] * 3];
        for (int y = 0; y < image.height(); y++) {
            System.arraycopy(
                    image.rgb(), y * image.width() * 3, out, ((y + top) * target[1] + left) * 3, image.width() * 3);
        }
        return new RgbImage(target[1], target[0], out);
    }

    /**
     * The image centred in a square of its longer side, the rest {@code int(mean · 255)} per channel (OneVision's
     * {@code pad_to_square}, the odd pixel at the right and bottom).
     */
    private static RgbImage padToSquare(RgbImage image, double[] mean) {
        int side = Math.max(image.width(), image.height());
        if (image.width() == image.height()) {
            return image;
        }
        byte[] out = new byte[side * side * 3];
        for (int i = 0; i < side * side; i++) {
            for (int k = 0; k < 3; k++) {
                out[i * 3 + k] = (byte) (int) (mean[k] * 255);
            }
        }
        int left = (side - image.width()) / 2;
        int top = (side - image.height()) / 2;
        for (int y = 0; y < image.height(); y++) {
            System.arraycopy(image.rgb(), y * image.width() * 3, out, ((y + top) * side + left) * 3, image.width() * 3);
        }
        return new RgbImage(side, side, out);
    }

    private static RgbImage crop(RgbImage image, int x0, int y0, int side) {
        byte[] out = new byte[side * side * 3];
        for (int y = 0; y < side; y++) {
            System.arraycopy(image.rgb(), ((y0 + y) * image.width() + x0) * 3, out, y * side * 3, side * 3);
        }
        return new RgbImage(side, side, out);
    }
}
