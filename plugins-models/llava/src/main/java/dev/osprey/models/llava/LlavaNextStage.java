package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.StagedInputs;
import dev.osprey.model.spi.Weight;

/**
 * What LLaVA-NeXT does before its language model's layers: each image comes as its base tile and its any-resolution
 * tiles ({@code pixel_values} (N, tiles, C, S, S), only the first {@link AnyResolution#tiles} of each used, and
 * {@code image_sizes} (N, 2) the original height and width); the tower encodes every tile, LLaVA's projector projects
 * each patch, and the tiles' features are laid out as one map (the grid's rows of tiles, each tile's rows of patches),
 * cut back to the image's aspect ratio, with {@code image_newline} after each row; the base tile's features come first.
 *
 * <p>LLaVA-OneVision ({@link Tiling}) adds two rules: a map larger than {@code anyres_max_N} tiles of patches is shrunk
 * bilinearly by the square root of that excess (each side floored), and only an image alone in its row is tiled: the
 * images of a row of several are each their base tile and {@code image_newline}, as transformers'
 * {@code batch_num_images} says. Which rows hold one image is the request's rows of its images where it gives them,
 * else read from the image tokens as the processor expanded them:
 * a row's count is that image's tiled count, else a multiple of the untiled one, else the sum of the next images'
 * tiled counts (a processor given a flat list of images tiles each).
 */
final class LlavaNextStage implements MediaStage {

    /**
     * How images are tiled beyond LLaVA-NeXT's rules.
     *
     * @param maxTiles {@code vision_aspect_ratio}'s N of {@code anyres_max_N}: the packed map's area limit in tiles of
     *     patches, 0 for none (LLaVA-NeXT)
     * @param loneImagesOnly only an image alone in its row is tiled (LLaVA-OneVision)
     */
    record Tiling(int maxTiles, boolean loneImagesOnly) {

        /** LLaVA-NeXT: every image tiled, no area limit. */
        static final Tiling NEXT = new Tiling(0, false);

        /** {@code vision_aspect_ratio} as {@code anyres_max_N}, tiling lone images only. */
        static Tiling oneVision(String aspectRatio) {
            String prefix = "anyres_max_";
            if (aspectRatio == null || !aspectRatio.startsWith(prefix)) {
                throw new IllegalArgumentException(
                        "vision_aspect_ratio must be anyres_max_N (the map's area limit in tiles), was " + aspectRatio);
            }
            try {
                return new Tiling(Integer.parseInt(aspectRatio.substring(prefix.length())), true);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "vision_aspect_ratio must be anyres_max_N with a whole N, was " + aspectRatio, e);
            }
        }
    }

    private final String name;
    private final long imageToken;
    private final VisionEncoder tower;
    private final List<Integer> featureLayers;
    private final boolean dropClassToken;
    private final LlavaProjector projector;
    private final AnyResolution layout;
    private final int side;
    private final Weight newline;
    private final Tiling tiling;

    /** @param side patches along a tile's side */
    LlavaNextStage(
            Parameters p,
            String name,
            long imageToken,
            VisionEncoder tower,
            List<Integer> featureLayers,
            boolean dropClassToken,
            LlavaProjector projector,
            AnyResolution layout,
            int side,
            int hidden,
            Tiling tiling) {
        this.name = name;
        this.imageToken = imageToken;
        this.tower = tower;
        this.featureLayers = List.copyOf(featureLayers);
        this.dropClassToken = dropClassToken;
        this.projector = projector;
        this.layout = layout;
        this.side = side;
        this.newline = p.normal("image_newline", hidden);
        this.tiling = tiling;
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions, null);
        }
        NDArray pixels = media.require(MediaTensors.PIXEL_VALUES, name); // (N, tiles, C, S, S)
        long[][] sizes = VisionStage.sizes(media.require(VisionStage.IMAGE_SIZES, name));
        if (pixels.getShape().dimension() != 5 || pixels.getShape().get(0) != sizes.length) {
            throw new IllegalArgumentException(name + ": pixel_values must be (images, tiles, channels, side, side)"
                    + " with one image_sizes row per image, was " + pixels.getShape() + " for " + sizes.length
                    + " image sizes");
        }
        NDList tiles = new NDList();
        int[] counts = new int[sizes.length];
        boolean[] tiled = tiled(request, media, sizes);
        for (int i = 0; i < sizes.length; i++) {
            counts[i] = tiled[i] ? layout.tiles(sizes[i][0], sizes[i][1]) : 1;
            if (counts[i] > pixels.getShape().get(1)) {
                throw new IllegalArgumentException(name + ": image " + i + " of " + sizes[i][0] + " x " + sizes[i][1]
                        + " needs " + counts[i] + " tiles, pixel_values holds "
                        + pixels.getShape().get(1));
            }
            tiles.add(pixels.get(new NDIndex("{}, :{}", i, counts[i]))); // (tiles, C, S, S)
        }
        NDArray all = tiles.size() == 1 ? tiles.get(0) : NDArrays.concat(tiles, 0); // (all tiles, C, S, S)
        String adapter = request.adapter().orElse(null);
        List<NDArray> states = tower.hiddenStates(all, null, featureLayers, adapter); // each (1 + P, D)
        NDList patches = new NDList();
        for (NDArray s : states) {
            patches.add((dropClassToken ? s.get("1:") : s).expandDims(0)); // (1, P, D)
        }
        NDArray projected = projector.forward(NDArrays.concat(patches, 0), adapter); // (all tiles, P, H)
        List<NDArray> perImage = new ArrayList<>();
        int first = 0;
        for (int i = 0; i < sizes.length; i++) {
            perImage.add(pack(projected.get(new NDIndex("{}:{}", first, first + counts[i])), sizes[i]));
            first += counts[i];
        }
        return VisionStage.scatter(name, imageToken, request, embeddings, positions, media, perImage);
    }

    /** @param f (tiles, P, H) one image's features, its base tile first @return (tokens, H) */
    private NDArray pack(NDArray f, long[] size) {
        long hidden = f.getShape().get(2);
        NDArray base = f.get(0); // (P, H)
        if (f.getShape().get(0) == 1) {
            return base.concat(newline.get().reshape(1, hidden), 0); // (P + 1, H)
        }
        int[] grid = layout.grid(size[0], size[1]);
        int rows = grid[0] * side;
        int columns = grid[1] * side;
        NDArray map = f.get("1:")
                .reshape(grid[0], grid[1], side, side, hidden) // (gh, gw, s, s, H)
                .transpose(0, 2, 1, 3, 4) // (gh, s, gw, s, H)
                .reshape(rows, columns, hidden); // (rows, columns, H)
        int[] keep = AnyResolution.unpadded(rows, columns, size[0], size[1]);
        NDArray image = map.get(new NDIndex("{}:{}, {}:{}", keep[0], keep[1], keep[2], keep[3])); // (r, c, H)
        int[] shrunk = shrunk(tiling, side, keep[1] - keep[0], keep[3] - keep[2]);
        if (shrunk != null) {
            image = FeatureMapResize.bilinear(image, shrunk[0], shrunk[1]); // (r', c', H)
        }
        long r = image.getShape().get(0);
        NDArray ends = newline.get().reshape(1, 1, hidden).repeat(0, r); // (r, 1, H)
        NDArray withEnds = image.concat(ends.toType(image.getDataType(), false), 1); // (r, c + 1, H)
        return base.concat(withEnds.reshape(-1, hidden), 0); // (P + r·(c + 1), H)
    }

    /**
     * The (rows, columns) an unpadded map of this size is shrunk to past {@code anyres_max_N}, or null when it is
     * kept: transformers' {@code ratio = sqrt(r·c / (N·side²))}, shrunk when over 1.1, each side {@code int(x // ratio)}.
     */
    static int[] shrunk(Tiling tiling, int side, int rows, int columns) {
        if (tiling.maxTiles() <= 0) {
            return null;
        }
        double ratio = Math.sqrt((double) rows * columns / ((double) tiling.maxTiles() * side * side));
        if (ratio <= 1.1) {
            return null;
        }
        return new int[] {(int) floorDivide(rows, ratio), (int) floorDivide(columns, ratio)};
    }

    /** Python's float {@code a // b} for positive operands (fmod first, then the quotient rounded to the nearest). */
    private static double floorDivide(double a, double b) {
        double mod = a % b;
        double quotient = (a - mod) / b;
        double floor = Math.floor(quotient);
        return quotient - floor > 0.5 ? floor + 1 : floor;
    }

    /**
     * The features one image packs into: its base tile and newline, or its tiled map as {@link #pack} lays it out
     * (what {@code LlavaOnevisionProcessor} expands its placeholder to).
     *
     * @param extra features beside the base tile's patches (LLaVA-NeXT's kept class token)
     */
    static long packedTokens(
            AnyResolution layout, int side, int extra, Tiling tiling, long[] size, boolean tiledImage) {
        long base = (long) side * side + extra;
        if (!tiledImage) {
            return base + 1;
        }
        int[] grid = layout.grid(size[0], size[1]);
        int[] keep = AnyResolution.unpadded(grid[0] * side, grid[1] * side, size[0], size[1]);
        int rows = keep[1] - keep[0];
        int columns = keep[3] - keep[2];
        int[] shrunk = shrunk(tiling, side, rows, columns);
        if (shrunk != null) {
            rows = shrunk[0];
            columns = shrunk[1];
        }
        return base + (long) rows * (columns + 1);
    }

    /**
     * Which images are tiled: all of them, or with {@link Tiling#loneImagesOnly} those alone in their row, found
     * from each row's image tokens in order (a row's count equal to its next image's tiled count holds that image
     * alone; otherwise it holds count / (patches + 1) untiled images).
     */
    private boolean[] tiled(ForwardRequest request, MediaTensors media, long[][] sizes) {
        boolean[] tiled = new boolean[sizes.length];
        if (!tiling.loneImagesOnly()) {
            Arrays.fill(tiled, true);
            return tiled;
        }
        int[] rows = media.rowsOf(MediaTensors.IMAGE).orElse(null);
        if (rows != null && rows.length == sizes.length) {
            // the request says each image's row: tiled when alone in it
            Map<Integer, Integer> perRow = new HashMap<>();
            for (int row : rows) {
                perRow.merge(row, 1, Integer::sum);
            }
            for (int i = 0; i < rows.length; i++) {
                tiled[i] = perRow.get(rows[i]) == 1;
            }
            return tiled;
        }
        NDArray ids = request.inputIds(); // (B, T)
        long[] perRow = ids.eq(ids.getManager().create(imageToken))
                .toType(DataType.INT64, false)
                .sum(new int[] {1})
                .toLongArray(); // (B)
        long untiled = (long) side * side + 1;
        int image = 0;
        for (int b = 0; b < perRow.length; b++) {
            long tokens = perRow[b];
            if (tokens == 0) {
                continue;
            }
            if (image < sizes.length && packedTokens(layout, side, 0, tiling, sizes[image], true) == tokens) {
                tiled[image++] = true;
                continue;
            }
            long images = tokens / untiled;
            if (tokens % untiled == 0 && image + images <= sizes.length) {
                image += (int) images;
                continue;
            }
            // several images each tiled (a processor given a flat list of images: batch_num_images all 1)
            int first = image;
            long sum = 0;
            while (sum < tokens && image < sizes.length) {
                sum += packedTokens(layout, side, 0, tiling, sizes[image], true);
                tiled[image++] = true;
            }
            if (sum != tokens) {
                throw new IllegalArgumentException(name + ": row " + b + " has " + tokens + " image tokens, neither"
                        + " image " + first + "'s tiled count, a multiple of " + untiled + " (an untiled image's)"
                        + " nor the tiled counts of the images from " + first + " on (" + sizes.length + " images)");
            }
        }
        return tiled;
    }
}
