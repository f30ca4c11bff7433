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
 * <p>LLaVA-OneVision ({@link Tiling}) adds videos ({@code pixel_values_videos} at their own token: each frame's
 * patches pooled 2 x 2, one {@code image_newline} per video) and two rules for images: a map larger than {@code anyres_max_N} tiles of patches is shrunk
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
    private final long videoToken;

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
            Tiling tiling,
            long videoToken) {
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
        this.videoToken = videoToken;
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions, null);
        }
        NDArray videos = videoToken < 0
                ? null
                : media.get(MediaTensors.PIXEL_VALUES_VIDEOS).orElse(null); // (V, frames, C, S, S)
        StagedInputs staged =
                videos != null && media.get(MediaTensors.PIXEL_VALUES).isEmpty()
                        ? new StagedInputs(embeddings, positions, null)
                        : images(request, media, embeddings, positions);
        if (videos == null) {
            return staged;
        }
        List<NDArray> perVideo = videoFeatures(videos, request.adapter().orElse(null));
        return VisionStage.scatter(
                name, MediaTensors.VIDEO, videoToken, request, staged.embeddings(), positions, media, perVideo);
    }

    /**
     * LLaVA-OneVision's videos: every frame through the tower and projector, its patches pooled 2 x 2 (torch's
     * bilinear {@code interpolate} to ceil(side / 2) squared), the frames' features in order and one
     * {@code image_newline} after them.
     *
     * @param videos (V, frames, C, S, S) {@code pixel_values_videos}
     * @return per video its (frames · pooled² + 1, H) features
     */
    private List<NDArray> videoFeatures(NDArray videos, String adapter) {
        long[] shape = videos.getShape().getShape();
        if (shape.length != 5) {
            throw new IllegalArgumentException(name
                    + ": pixel_values_videos must be (videos, frames, channels, side, side), was " + videos.getShape());
        }
        long count = shape[0] * shape[1];
        NDArray frames = videos.reshape(count, shape[2], shape[3], shape[4]); // (V·F, C, S, S)
        NDList patches = new NDList();
        for (NDArray s : tower.hiddenStates(frames, null, featureLayers, adapter)) { // each (P, D)
            patches.add((dropClassToken ? s.get("1:") : s).expandDims(0)); // (1, P, D)
        }
        NDArray projected = projector.forward(NDArrays.concat(patches, 0), adapter); // (V·F, P, H)
        long hidden = projected.getShape().get(2);
        int pooled = (side + 1) / 2;
        NDArray grid = projected
                .reshape(count, side, side, hidden) // (V·F, s, s, H)
                .transpose(1, 2, 0, 3) // (s, s, V·F, H)
                .reshape(side, side, count * hidden); // (s, s, V·F·H): every channel of every frame resized alike
        NDArray pooledGrid = FeatureMapResize.bilinear(grid, pooled, pooled) // (p, p, V·F·H)
                .reshape(pooled, pooled, count, hidden) // (p, p, V·F, H)
                .transpose(2, 0, 1, 3) // (V·F, p, p, H)
                .reshape(shape[0], shape[1] * pooled * pooled, hidden); // (V, F·p², H)
        NDArray end = newline.get().reshape(1, hidden);
        List<NDArray> perVideo = new ArrayList<>();
        for (long v = 0; v < shape[0]; v++) {
            perVideo.add(pooledGrid.get(v).concat(end.toType(pooledGrid.getDataType(), false), 0)); // (F·p² + 1, H)
        }
        return perVideo;
    }

    /** The images' features at the image tokens (the request's {@code pixel_values} and {@code image_sizes}). */
    private StagedInputs images(ForwardRequest request, MediaTensors media, NDArray embeddings, NDArray positions) {
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
