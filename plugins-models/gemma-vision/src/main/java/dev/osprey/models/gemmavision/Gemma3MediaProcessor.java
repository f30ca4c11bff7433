package dev.osprey.models.gemmavision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

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
 * and the images {@code pixel_values} (N, 3, S, S). With {@code do_pan_and_scan} in the processor config, an image
 * with crops becomes {@link Gemma3ImageProcessor#expandPrompt}'s text: "Here is the original image ", the image's
 * sequence, " and here are some crops to help you see better ", then each crop's sequence separated by " ", each
 * piece of text encoded on its own by the folder's tokenizer and spliced in as ids (so text before the image does
 * not merge with "Here", which transformers' text rewrite can do); {@code pixel_values} holds each image followed
 * by its crops. {@code DO_PAN_AND_SCAN} and the other {@code PAN_AND_SCAN_*} environment variables override the
 * processor config ({@link Gemma3ImageProcessor#withEnvironment}), as a processor call's keyword arguments do, so
 * a command run with {@code DO_PAN_AND_SCAN=true} turns pan-and-scan on for a model whose config leaves it off.
 */
final class Gemma3MediaProcessor implements MediaProcessor {

    private final ImageParts images;
    private final int boi;
    private final int eoi;
    private final int soft;
    private final int tokens;
    /** The environment whose pan-and-scan settings override the processor config's. */
    private final Map<String, String> env;

    private volatile Integer doubleNewline;
    /** The ids of the pan-and-scan text: before the image, before its crops, between two crops. */
    private volatile int[][] cropTexts;

    Gemma3MediaProcessor(ModelConfig config, Path folder) {
        this(config, folder, System.getenv());
    }

    Gemma3MediaProcessor(ModelConfig config, Path folder, Map<String, String> env) {
        this.env = Map.copyOf(env);
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
        Gemma3ImageProcessor.Processed processed = gemma3.withEnvironment(env).process(pictures);
        PixelValues pixels = processed.pixels();
        int newlines = newlines();
        int[] run = new int[tokens + 4];
        Arrays.fill(run, soft);
        run[0] = newlines;
        run[1] = boi;
        run[run.length - 2] = eoi;
        run[run.length - 1] = newlines;
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < pictures.size(); i++) {
            int crops = processed.numCrops()[i];
            runs.add(crops == 0 ? run : withCrops(run, crops));
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (images, 3, S, S)
        return MediaProcessor.expand(prompt, runs, MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values)));
    }

    /** Gemma3Processor's text for an image with {@code crops} crops, {@code run} being one image's sequence. */
    private int[] withCrops(int[] run, int crops) {
        int[][] texts = cropTexts();
        IntStream.Builder ids = IntStream.builder();
        IntStream.of(texts[0]).forEach(ids);
        IntStream.of(run).forEach(ids);
        IntStream.of(texts[1]).forEach(ids);
        for (int c = 0; c < crops; c++) {
            if (c > 0) {
                IntStream.of(texts[2]).forEach(ids);
            }
            IntStream.of(run).forEach(ids);
        }
        return ids.build().toArray();
    }

    private int[][] cropTexts() {
        int[][] texts = cropTexts;
        if (texts == null) {
            String what = "Gemma 3's pan-and-scan text";
            texts = new int[][] {
                TokenizerFiles.encode(images.folder(), Gemma3ImageProcessor.BEFORE_CROPPED_IMAGE, what),
                TokenizerFiles.encode(images.folder(), Gemma3ImageProcessor.BEFORE_CROPS, what),
                TokenizerFiles.encode(images.folder(), " ", what)
            };
            cropTexts = texts;
        }
        return texts;
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
