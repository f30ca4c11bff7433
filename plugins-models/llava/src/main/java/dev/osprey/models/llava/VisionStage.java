package dev.osprey.models.llava;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.model.spi.MediaStage;
import dev.osprey.model.spi.StagedInputs;

/**
 * What a LLaVA-style model does before its language model's layers: encodes the request's images with its tower
 * ({@code pixel_values} (N, C, H, W), with {@code image_sizes} (N, 2) where the tower takes images of their own size),
 * selects the hidden states of {@code vision_feature_layer} (without the class token for the "default" strategy),
 * projects them and puts them, image after image, where the image tokens are, row by row, as transformers'
 * {@code masked_scatter}. The positions are the text's: these language models have plain rotary positions.
 */
final class VisionStage implements MediaStage {

    /** The processor's per-image (height, width) in pixels, beside {@code pixel_values}. */
    static final String IMAGE_SIZES = "image_sizes";

    private final String name;
    private final long imageToken;
    private final VisionEncoder tower;
    private final List<Integer> featureLayers;
    private final boolean dropClassToken;
    private final Projector projector;

    /**
     * @param name the model type, for messages
     * @param dropClassToken {@code vision_feature_select_strategy} "default": the first state of each image is the
     *     tower's class token, which is left out
     */
    VisionStage(
            String name,
            long imageToken,
            VisionEncoder tower,
            List<Integer> featureLayers,
            boolean dropClassToken,
            Projector projector) {
        this.name = name;
        this.imageToken = imageToken;
        this.tower = tower;
        this.featureLayers = List.copyOf(featureLayers);
        this.dropClassToken = dropClassToken;
        this.projector = projector;
    }

    @Override
    public StagedInputs apply(ForwardRequest request, NDArray embeddings, NDArray positions) {
        MediaTensors media = request.media().orElse(null);
        if (media == null) {
            return new StagedInputs(embeddings, positions, null);
        }
        NDArray pixels = media.require(MediaTensors.PIXEL_VALUES, name); // (N, C, H, W)
        long[][] sizes = media.get(IMAGE_SIZES).map(VisionStage::sizes).orElse(null);
        String adapter = request.adapter().orElse(null);
        long[][] grids = tower.patchGrids(pixels, sizes);
        List<NDArray> states = tower.hiddenStates(pixels, sizes, featureLayers, adapter);
        if (dropClassToken) {
            List<NDArray> patches = new ArrayList<>();
            for (NDArray s : states) {
                patches.add(s.get("1:")); // (patches, features)
            }
            states = patches;
        }
        List<NDArray> perImage = projector.project(states, grids, adapter); // each (tokens, hidden)
        return scatter(name, imageToken, request, embeddings, positions, media, perImage);
    }

    /**
     * The embeddings with each image's features, image after image, where the image tokens are, row by row.
     *
     * @param perImage per image its (tokens, hidden) features
     * @throws IllegalArgumentException when the image tokens are not as many as the features
     */
    static StagedInputs scatter(
            String name,
            long imageToken,
            ForwardRequest request,
            NDArray embeddings,
            NDArray positions,
            MediaTensors media,
            List<NDArray> perImage) {
        return scatter(name, MediaTensors.IMAGE, imageToken, request, embeddings, positions, media, perImage);
    }

    /**
     * {@link #scatter(String, long, ForwardRequest, NDArray, NDArray, MediaTensors, List)} for items of
     * {@code modality} ({@code image} or {@code video}) at their own token.
     */
    static StagedInputs scatter(
            String name,
            String modality,
            long imageToken,
            ForwardRequest request,
            NDArray embeddings,
            NDArray positions,
            MediaTensors media,
            List<NDArray> perImage) {
        NDArray features = perImage.size() == 1 ? perImage.get(0) : NDArrays.concat(new NDList(perImage), 0);
        long[] counts = perImage.stream().mapToLong(f -> f.getShape().get(0)).toArray();

        long[] tokens = request.inputIds().toType(DataType.INT64, false).toLongArray();
        long batch = embeddings.getShape().get(0);
        long steps = embeddings.getShape().get(1);
        long hidden = embeddings.getShape().get(2);
        long total = Arrays.stream(counts).sum();
        long[] source = new long[tokens.length];
        long next = tokens.length;
        long found = 0;
        for (int i = 0; i < tokens.length; i++) {
            source[i] = tokens[i] == imageToken ? next + found++ : i;
        }
        if (found != total) {
            throw new IllegalArgumentException(name + ": the batch has " + found + " " + modality + " tokens (id "
                    + imageToken + ") but its " + counts.length + " " + modality + "s make " + total + " features "
                    + Arrays.toString(counts));
        }
        checkRows(name, modality, imageToken, media, tokens, steps, counts);
        NDArray flat = embeddings
                .reshape(-1, hidden) // (B·T, H)
                .concat(features.toType(embeddings.getDataType(), false), 0); // (B·T + features, H)
        // a gather rather than an in-place scatter: autograd reaches the vision tower through it
        NDArray merged = flat.get(embeddings.getManager().create(source)).reshape(batch, steps, hidden); // (B, T, H)
        return new StagedInputs(merged, positions, null);
    }

    /** The rows the request says its images belong to must be the rows their first tokens are in. */
    private static void checkRows(
            String name,
            String modality,
            long imageToken,
            MediaTensors media,
            long[] tokens,
            long steps,
            long[] counts) {
        media.rowsOf(modality).ifPresent(said -> {
            int[] rows = new int[counts.length];
            int image = 0;
            long seen = 0;
            long start = 0;
            for (int i = 0; i < tokens.length && image < counts.length; i++) {
                if (tokens[i] == imageToken) {
                    if (seen == start) {
                        rows[image] = (int) (i / steps);
                    }
                    seen++;
                    if (seen == start + counts[image]) {
                        start = seen;
                        image++;
                    }
                }
            }
            if (!Arrays.equals(said, rows)) {
                throw new IllegalArgumentException(name + ": the request puts its " + modality + "s in batch rows "
                        + Arrays.toString(said) + " but their " + modality + " tokens are in rows "
                        + Arrays.toString(rows));
            }
        });
    }

    /** (N, 2) image_sizes as rows of (height, width). */
    static long[][] sizes(NDArray sizes) {
        if (sizes.getShape().dimension() != 2 || sizes.getShape().get(1) != 2) {
            throw new IllegalArgumentException("image_sizes must be (images, 2), was " + sizes.getShape());
        }
        long[] flat = sizes.toType(DataType.INT64, false).toLongArray();
        long[][] out = new long[flat.length / 2][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[] {flat[2 * i], flat[2 * i + 1]};
        }
        return out;
    }
}
