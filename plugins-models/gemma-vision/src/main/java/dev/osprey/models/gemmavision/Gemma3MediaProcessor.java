package dev.osprey.models.gemmavision;

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
import dev.osprey.api.model.ModelConfig;
import dev.osprey.media.Gemma3ImageProcessor;
import dev.osprey.media.ImageProcessor;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.PixelValues;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.TokenizerFiles;

/**
 * Gemma 3's {@code Gemma3Processor} beside the pixels: the chat template's {@code <start_of_image>} becomes
 * {@code "\n\n"}, {@code <start_of_image>}, {@code <image_soft_token>} x {@code mm_tokens_per_image},
 * {@code <end_of_image>}, {@code "\n\n"} (its {@code full_image_sequence}, spliced in as token ids as ms-swift does),
 * and the images {@code pixel_values} (N, 3, S, S). Pan-and-scan is off: a processor config that turns it on is
 * refused, its crops need the prompt text rewritten around each image.
 */
final class Gemma3MediaProcessor implements MediaProcessor {

    private final ImageParts images;
    private final int boi;
    private final int eoi;
    private final int soft;
    private final int tokens;
    private volatile Integer doubleNewline;

    Gemma3MediaProcessor(ModelConfig config, Path folder) {
        this.images = new ImageParts(folder, "gemma3");
        this.boi = config.getInt(255999, "boi_token_index");
        this.eoi = config.getInt(256000, "eoi_token_index");
        this.soft = config.getInt(262144, "image_token_index", "image_token_id");
        this.tokens = config.getInt(256, "mm_tokens_per_image");
    }

    @Override
    public Map<String, String> placeholders() {
        return Map.of(ContentPart.IMAGE, Gemma3ImageProcessor.BOI);
    }

    @Override
    public Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager) {
        if (prompt.media().isEmpty()) {
            return new Processed(prompt.inputIds(), prompt.labels(), null);
        }
        List<RgbImage> pictures = images.load(prompt, loader);
        ImageProcessor p = images.processor();
        if (!(p instanceof Gemma3ImageProcessor gemma3)) {
            throw new IllegalArgumentException(images.folder().resolve("preprocessor_config.json")
                    + ": Gemma 3 reads images with Gemma3ImageProcessor, not " + p.name());
        }
        if (gemma3.config().panAndScan()) {
            throw new IllegalArgumentException(images.folder().resolve("preprocessor_config.json")
                    + ": do_pan_and_scan is not supported in prompts yet (turn it off)");
        }
        PixelValues pixels = gemma3.preprocess(pictures);
        int newlines = newlines();
        int[] run = new int[tokens + 4];
        Arrays.fill(run, soft);
        run[0] = newlines;
        run[1] = boi;
        run[run.length - 2] = eoi;
        run[run.length - 1] = newlines;
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < pictures.size(); i++) {
            runs.add(run);
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (images, 3, S, S)
        return MediaProcessor.expand(prompt, runs, MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values)));
    }

    /** The id of {@code "\n\n"} in the folder's tokenizer. */
    private int newlines() {
        Integer id = doubleNewline;
        if (id == null) {
            id = Math.toIntExact(TokenizerFiles.require(images.folder(), "\n\n", "the newlines around an image"));
            doubleNewline = id;
        }
        return id;
    }
}
