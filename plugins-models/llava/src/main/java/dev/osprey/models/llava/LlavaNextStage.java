package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

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
 */
final class LlavaNextStage implements MediaStage {

    private final String name;
    private final long imageToken;
    private final VisionEncoder tower;
    private final List<Integer> featureLayers;
    private final boolean dropClassToken;
    private final LlavaProjector projector;
    private final AnyResolution layout;
    private final int side;
    private final Weight newline;

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
            int hidden) {
        this.name = name;
        this.imageToken = imageToken;
        this.tower = tower;
        this.featureLayers = List.copyOf(featureLayers);
        this.dropClassToken = dropClassToken;
        this.projector = projector;
        this.layout = layout;
        this.side = side;
        this.newline = p.normal("image_newline", hidden);
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
        for (int i = 0; i < sizes.length; i++) {
            counts[i] = layout.tiles(sizes[i][0], sizes[i][1]);
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
        long r = image.getShape().get(0);
        NDArray ends = newline.get().reshape(1, 1, hidden).repeat(0, r); // (r, 1, H)
        NDArray withEnds = image.concat(ends.toType(image.getDataType(), false), 1); // (r, c + 1, H)
        return base.concat(withEnds.reshape(-1, hidden), 0); // (P + r·(c + 1), H)
    }
}
