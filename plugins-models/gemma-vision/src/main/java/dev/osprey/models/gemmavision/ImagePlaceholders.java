package dev.osprey.models.gemmavision;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.MediaTensors;

/**
 * Where a batch's image features go: the i-th image's {@code perImage} features fill the i-th run of
 * {@code perImage} image tokens, row by row, as transformers' {@code masked_scatter} fills them.
 */
final class ImagePlaceholders {

    private final long[] source;
    private final int[] rows;

    /**
     * @param tokens (B·T) the batch's token ids, row-major
     * @param steps T
     * @param imageToken the placeholder id
     * @param images how many images the media hold
     * @param perImage the features of one image
     * @param model the model type, for messages
     * @throws IllegalArgumentException when the placeholders do not hold exactly the images' features
     */
    ImagePlaceholders(long[] tokens, int steps, long imageToken, long images, int perImage, String model) {
        source = new long[tokens.length];
        long next = tokens.length;
        long found = 0;
        rows = new int[Math.toIntExact(images)];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == imageToken) {
                if (found % perImage == 0 && found / perImage < images) {
                    rows[Math.toIntExact(found / perImage)] = i / steps;
                }
                source[i] = next + found;
                found++;
            } else {
                source[i] = i;
            }
        }
        if (found != images * perImage) {
            throw new IllegalArgumentException(model + ": the batch has " + found + " image tokens (id " + imageToken
                    + ") but its pixel_values hold " + images + " images of " + perImage + " tokens each");
        }
    }

    /** For each position, the row of (token embeddings; image features) it takes. */
    long[] source() {
        return source;
    }

    /** The rows the request says its images belong to must be the rows their placeholders are in. */
    void check(MediaTensors media) {
        media.rowsOf(MediaTensors.IMAGE).ifPresent(said -> {
            if (!Arrays.equals(said, rows)) {
                throw new IllegalArgumentException("the request puts its images in batch rows " + Arrays.toString(said)
                        + " but their placeholder tokens are in rows " + Arrays.toString(rows));
            }
        });
    }

    /** (B·T) the ids of a (B, T) array. */
    static long[] ids(NDArray ids) {
        return ids.toType(DataType.INT64, false).toLongArray();
    }

    /**
     * @param embeddings (B, T, H) the token embeddings
     * @param features (N, H) the images' features, in placeholder order
     * @return (B, T, H) the embeddings with the features in their placeholders: a gather rather than an in-place
     *     scatter, so autograd reaches the vision tower through it
     */
    NDArray merge(NDArray embeddings, NDArray features) {
        long b = embeddings.getShape().get(0);
        long t = embeddings.getShape().get(1);
        long h = embeddings.getShape().get(2);
        NDArray flat = embeddings
                .reshape(-1, h) // (B·T, H)
                .concat(features.toType(embeddings.getDataType(), false), 0); // (B·T + N, H)
        return flat.get(embeddings.getManager().create(source)).reshape(b, t, h); // (B, T, H)
    }
}
