package dev.osprey.api.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import ai.djl.ndarray.NDArray;

/**
 * The pre-processed media of a forward pass (images, video frames, audio): the tensors a Hugging Face processor
 * returns beside {@code input_ids}, under the processor's own names ({@code pixel_values} and
 * {@code image_grid_thw} for Qwen2-VL, {@code pixel_values_videos} and {@code video_grid_thw} for its video,
 * {@code pixel_values} (N, C, H, W) for LLaVA or PaliGemma, {@code image_sizes}, ...), so a model reads what its
 * transformers counterpart reads.
 *
 * <p>Items are in the order of their placeholder tokens in the batch, row by row, as transformers scatters them:
 * the i-th image fills the i-th run of image tokens. {@link #rows} may say which batch row each item of a modality
 * belongs to (a scheduler that splits or merges batches needs it); a model checks it against the placeholders.
 * The arrays belong to the caller: a model reads them and keeps none.
 *
 * @param tensors the processor's outputs by name
 * @param rows for a modality ({@link #IMAGE}, {@link #VIDEO}, {@link #AUDIO}), the batch row of each of its items
 *        in order; a modality without an entry is not described
 */
public record MediaTensors(Map<String, NDArray> tensors, Map<String, int[]> rows) {

    public static final String IMAGE = "image";
    public static final String VIDEO = "video";
    public static final String AUDIO = "audio";

    /** Qwen2-VL's and most processors' image tensor. */
    public static final String PIXEL_VALUES = "pixel_values";
    /** Qwen2-VL's (t, h, w) patches of each image, (images, 3). */
    public static final String IMAGE_GRID_THW = "image_grid_thw";
    /** Qwen2-VL's video frames, patched as its images are. */
    public static final String PIXEL_VALUES_VIDEOS = "pixel_values_videos";
    /** Qwen2-VL's (t, h, w) patches of each video, (videos, 3). */
    public static final String VIDEO_GRID_THW = "video_grid_thw";

    public MediaTensors {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("media tensors need at least one tensor");
        }
        tensors.forEach((name, array) -> {
            if (name == null || array == null) {
                throw new IllegalArgumentException("media tensor " + name + " has no name or no array");
            }
        });
        tensors = Map.copyOf(new LinkedHashMap<>(tensors));
        rows = rows == null ? Map.of() : Map.copyOf(rows);
    }

    /** Media whose items are in placeholder order, their rows not described. */
    public static MediaTensors of(Map<String, NDArray> tensors) {
        return new MediaTensors(tensors, Map.of());
    }

    /** The tensor named {@code name}, or empty. */
    public Optional<NDArray> get(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * The tensor named {@code name}.
     *
     * @param model what needs it, for the message
     * @throws IllegalArgumentException naming the tensor and the model when it is missing
     */
    public NDArray require(String name, String model) {
        NDArray array = tensors.get(name);
        if (array == null) {
            throw new IllegalArgumentException(
                    model + " needs the media tensor '" + name + "', but the request has only " + tensors.keySet());
        }
        return array;
    }

    /** The batch row of each item of {@code modality}, or empty when not described. */
    public Optional<int[]> rowsOf(String modality) {
        int[] r = rows.get(modality);
        return r == null ? Optional.empty() : Optional.of(Arrays.copyOf(r, r.length));
    }
}
