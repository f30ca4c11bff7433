package dev.osprey.media;

import java.util.Arrays;

/**
 * What a Hugging Face image processor returns, as plain Java: the model bundle makes NDArrays of it.
 *
 * @param data {@code pixel_values} (or {@code pixel_values_videos}) in row-major order
 * @param shape its shape: (N, C·T·P·P) patches for Qwen2-VL, (N, 3, H, W) for CLIP and SigLIP
 * @param gridThw per image or video, (t, h, w) in patches ({@code image_grid_thw}/{@code video_grid_thw});
 *     an empty array for processors without a grid
 * @param tokens per image or video, the placeholder tokens the prompt needs (t·h·w / merge² for Qwen2-VL)
 */
public record PixelValues(float[] data, long[] shape, int[][] gridThw, int[] tokens) {

    public PixelValues {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
        }
    }

    public int totalTokens() {
        return Arrays.stream(tokens).sum();
    }
}
