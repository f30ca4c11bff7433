package dev.osprey.models.qwenvl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.media.ImageProcessor;
import dev.osprey.media.ImageProcessors;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.PixelValues;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;

/**
 * Qwen2-VL's and Qwen2.5-VL's {@code Qwen2VLProcessor} beside the pixels: each image's {@code <|image_pad|>}
 * becomes t·h·w/merge² of them, as the image processor of the model folder counts, and the images become
 * {@code pixel_values} and {@code image_grid_thw}. The processor is read from {@code preprocessor_config.json} when
 * the first image comes, so a folder without one loads and serves text.
 */
final class QwenVlMediaProcessor implements MediaProcessor {

    /** What Qwen2-VL's chat template writes for an image, between {@code <|vision_start|>} and {@code <|vision_end|>}. */
    static final String IMAGE_PAD = "<|image_pad|>";

    private final Path folder;
    private final long imageTokenId;
    private volatile ImageProcessor images;

    QwenVlMediaProcessor(Path folder, Qwen2VlConfig config) {
        this.folder = folder;
        this.imageTokenId = config.imageTokenId();
    }

    @Override
    public Map<String, String> placeholders() {
        return Map.of(ContentPart.IMAGE, IMAGE_PAD);
    }

    @Override
    public Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager) {
        if (prompt.media().isEmpty()) {
            return new Processed(prompt.inputIds(), prompt.labels(), null);
        }
        List<RgbImage> pictures = MediaProcessor.images(
                prompt,
                loader,
                "Qwen-VL prompts take" + " images here; videos are not connected to the prompt encoder yet");
        PixelValues pixels = processor().preprocess(pictures);
        List<int[]> runs = new ArrayList<>();
        for (int count : pixels.tokens()) {
            int[] run = new int[count];
            Arrays.fill(run, Math.toIntExact(imageTokenId));
            runs.add(run);
        }
        long[] grid = new long[pixels.gridThw().length * 3];
        for (int i = 0; i < pixels.gridThw().length; i++) {
            for (int d = 0; d < 3; d++) {
                grid[i * 3 + d] = pixels.gridThw()[i][d];
            }
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (patches, C·T·P·P)
        NDArray gridThw = manager.create(grid, new Shape(pixels.gridThw().length, 3)); // (images, 3)
        return MediaProcessor.expand(
                prompt,
                runs,
                MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values, MediaTensors.IMAGE_GRID_THW, gridThw)));
    }

    private ImageProcessor processor() {
        ImageProcessor p = images;
        if (p == null) {
            p = ImageProcessors.forModel(folder);
            images = p;
        }
        return p;
    }
}
