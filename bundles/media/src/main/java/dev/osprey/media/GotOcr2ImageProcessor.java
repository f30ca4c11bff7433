package dev.osprey.media;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.osprey.media.impl.Normalizer;
import dev.osprey.media.impl.ProcessorConfig;
import dev.osprey.media.impl.Resampler;

/**
 * InternVL's dynamic tiling. As transformers' {@code GotOcr2ImageProcessor} (the "-hf" InternVL ids; its
 * {@code crop_to_patches}, which {@code InternVLProcessor} turns on): the grid of tiles (columns x rows, between
 * {@code min_patches} and {@code max_patches}) whose aspect ratio is closest to the image's (on a tie, the larger
 * grid while the image's area exceeds half the grid's), the image resized to the grid with torchvision's antialiased
 * bicubic and cut into tiles row by row, then a thumbnail of the whole image when there is more than one tile;
 * rescaled and normalised fused. {@link #internVlChat} is the original format's pipeline (its
 * {@code dynamic_preprocess} and {@code build_transform}): the same grid and tiles with PIL's bicubic resize, then
 * {@code ToTensor} and {@code Normalize} with ImageNet's mean and std. {@code pixel_values} is (tiles, 3, S, S), the
 * tiles of each image together, in order; an image takes {@code tokensPerTile} placeholders per tile.
 */
public final class GotOcr2ImageProcessor implements ImageProcessor {

    private static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    private static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    /**
     * @param name the processor this reproduces
     * @param tileHeight {@code size.height}
     * @param tileWidth {@code size.width}
     * @param cropToPatches tile the image; else one resize to a tile
     * @param minPatches the fewest tiles of a grid
     * @param maxPatches the most tiles of a grid
     * @param thumbnail a thumbnail after the tiles of an image of several
     * @param resample how images are resized
     * @param doRescale rescale samples by {@code rescaleFactor}
     * @param rescaleFactor what {@code do_rescale} multiplies by
     * @param doNormalize subtract the mean, divide by the std
     * @param imageMean per channel
     * @param imageStd per channel
     * @param tokensPerTile the placeholders one tile's features fill ({@code image_seq_length}, InternVL's 256)
     */
    public record Config(
            String name,
            int tileHeight,
            int tileWidth,
            boolean cropToPatches,
            int minPatches,
            int maxPatches,
            boolean thumbnail,
            Interpolation resample,
            boolean doRescale,
            double rescaleFactor,
            boolean doNormalize,
            double[] imageMean,
            double[] imageStd,
            int tokensPerTile) {}

    private final Config config;
    private final float[][] table = new float[3][256];

    public GotOcr2ImageProcessor(Config config) {
        this.config = config;
        Normalizer fused = new Normalizer(
                config.doRescale(),
                config.rescaleFactor(),
                config.doNormalize(),
                config.imageMean(),
                config.imageStd());
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                if (config.resample().pil() && config.doRescale() && config.doNormalize()) {
                    // ToTensor (float32 / 255), then Normalize ((x - mean) / std in float32): rounds unlike the fused
                    float x = v / 255f;
                    table[c][v] = (x - (float) config.imageMean()[c]) / (float) config.imageStd()[c];
                } else {
                    table[c][v] = fused.value(c, v);
                }
            }
        }
    }

    /** A {@code preprocessor_config.json} of {@code GotOcr2ImageProcessor}. */
    static Config config(ProcessorConfig json) {
        int height = 384;
        int width = 384;
        JsonNode size = json.node("size");
        if (size != null) {
            if (size.get("height") == null || size.get("width") == null) {
                throw json.error("size", "must give height and width, got " + size);
            }
            height = (int) json.integer("size.height", size.get("height"));
            width = (int) json.integer("size.width", size.get("width"));
        }
        // InternVLProcessor passes crop_to_patches=True whatever the file says
        boolean crop = "InternVLProcessor".equals(json.text("processor_class")) || json.flag("crop_to_patches", false);
        int min = (int) json.integer("min_patches", 1);
        int max = (int) json.integer("max_patches", 12);
        if (min < 1 || max < min) {
            throw json.error("max_patches", "must be at least min_patches (" + min + ") and min_patches at least 1");
        }
        return new Config(
                "GotOcr2ImageProcessor",
                height,
                width,
                crop,
                min,
                max,
                true,
                Interpolation.torchForPilResample((int) json.integer("resample", 3), json.source()),
                json.flag("do_rescale", true),
                json.number("rescale_factor", 1 / 255.0),
                json.flag("do_normalize", true),
                json.channels("image_mean", new double[] {0.48145466, 0.4578275, 0.40821073}),
                json.channels("image_std", new double[] {0.26862954, 0.26130258, 0.27577711}),
                (int) json.integer("image_seq_length", 256));
    }

    /**
     * The original InternVL format's pipeline, as its chat code and ms-swift run it: {@code dynamic_preprocess(image,
     * min_num, max_num, image_size, use_thumbnail=True)} and {@code build_transform(image_size)}.
     *
     * @param tokensPerTile the model's {@code num_image_token}
     */
    public static GotOcr2ImageProcessor internVlChat(int imageSize, int minNum, int maxNum, int tokensPerTile) {
        return new GotOcr2ImageProcessor(new Config(
                "InternVL dynamic_preprocess",
                imageSize,
                imageSize,
                true,
                minNum,
                maxNum,
                true,
                Interpolation.PIL_BICUBIC,
                true,
                1 / 255.0,
                true,
                IMAGENET_MEAN,
                IMAGENET_STD,
                tokensPerTile));
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return config.name();
    }

    /**
     * The grid of tiles for an image: (columns, rows), transformers' {@code get_optimal_tiled_canvas} and InternVL's
     * {@code find_closest_aspect_ratio} over the grids ordered by tile count.
     */
    int[] grid(int width, int height) {
        List<int[]> grids = new ArrayList<>();
        for (int columns = 1; columns <= config.maxPatches(); columns++) {
            for (int rows = 1; rows <= config.maxPatches(); rows++) {
                int n = columns * rows;
                if (n >= config.minPatches() && n <= config.maxPatches()) {
                    grids.add(new int[] {columns, rows});
                }
            }
        }
        grids.sort((a, b) -> Integer.compare(a[0] * a[1], b[0] * b[1])); // stable, as Python's sorted
        double aspect = (double) width / height;
        double area = (double) width * height;
        double bestDiff = Double.POSITIVE_INFINITY;
        int[] best = {1, 1};
        for (int[] g : grids) {
            double diff = Math.abs(aspect - (double) g[0] / g[1]);
            if (diff < bestDiff) {
                bestDiff = diff;
                best = g;
            } else if (diff == bestDiff && area > 0.5 * config.tileHeight() * config.tileWidth() * g[0] * g[1]) {
                best = g;
            }
        }
        return best;
    }

    /** The tiles of one image: the grid's, row by row, and the thumbnail; or one resized image. */
    List<RgbImage> tiles(RgbImage image) {
        int th = config.tileHeight();
        int tw = config.tileWidth();
        if (!config.cropToPatches()) {
            return List.of(Resampler.resize(image, tw, th, config.resample()));
        }
        int[] g = grid(image.width(), image.height());
        RgbImage canvas = Resampler.resize(image, tw * g[0], th * g[1], config.resample());
        List<RgbImage> tiles = new ArrayList<>();
        for (int row = 0; row < g[1]; row++) {
            for (int column = 0; column < g[0]; column++) {
                tiles.add(crop(canvas, column * tw, row * th, tw, th));
            }
        }
        if (config.thumbnail() && tiles.size() != 1) {
            tiles.add(Resampler.resize(image, tw, th, config.resample()));
        }
        return tiles;
    }

    @Override
    public int tokens(int width, int height) {
        if (!config.cropToPatches()) {
            return config.tokensPerTile();
        }
        int[] g = grid(width, height);
        int tiles = g[0] * g[1];
        return (tiles == 1 || !config.thumbnail() ? tiles : tiles + 1) * config.tokensPerTile();
    }

    @Override
    public PixelValues preprocess(List<RgbImage> images) {
        List<RgbImage> all = new ArrayList<>();
        int[] tokens = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            List<RgbImage> tiles = tiles(images.get(i));
            all.addAll(tiles);
            tokens[i] = tiles.size() * config.tokensPerTile();
        }
        int h = config.tileHeight();
        int w = config.tileWidth();
        float[] data = new float[all.size() * 3 * h * w];
        for (int i = 0; i < all.size(); i++) {
            writePlanes(all.get(i), data, i * 3 * h * w);
        }
        return new PixelValues(data, new long[] {all.size(), 3, h, w}, new int[0][], tokens);
    }

    /** (3, H, W) planes of one tile, through this processor's normalisation. */
    private void writePlanes(RgbImage tile, float[] out, int offset) {
        int n = tile.width() * tile.height();
        byte[] rgb = tile.rgb();
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < n; p++) {
                out[offset + c * n + p] = table[c][rgb[p * 3 + c] & 0xFF];
            }
        }
    }

    private static RgbImage crop(RgbImage image, int left, int top, int width, int height) {
        byte[] out = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            System.arraycopy(image.rgb(), ((top + y) * image.width() + left) * 3, out, y * width * 3, width * 3);
        }
        return new RgbImage(width, height, out);
    }
}
