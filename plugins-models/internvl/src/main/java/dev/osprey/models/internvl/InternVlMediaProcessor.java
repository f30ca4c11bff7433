package dev.osprey.models.internvl;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.media.GotOcr2ImageProcessor;
import dev.osprey.media.ImageProcessor;
import dev.osprey.media.ImageProcessors;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.PixelValues;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.TokenizerFiles;

/**
 * InternVL's prompt step in both formats: each image becomes {@code <img>}, {@code <IMG_CONTEXT>} x (tiles x tokens
 * per tile), {@code </img>}, and its tiles (dynamic tiling and a thumbnail) {@code pixel_values} (tiles, 3, S, S).
 * The chat format ({@code InternVLChatModel}) is what OpenGVLab's {@code chat()} does: the template's {@code <image>}
 * replaced, the tiles from its {@code load_image} ({@link GotOcr2ImageProcessor#internVlChat}, with the config's
 * {@code min_dynamic_patch}/{@code max_dynamic_patch}). The transformers format is {@code InternVLProcessor}: the
 * template's {@code <IMG_CONTEXT>} replaced, the tiles from the folder's {@code GotOcr2ImageProcessor}. The image
 * processor is made when the first image comes, so a folder without one loads and serves text.
 */
final class InternVlMediaProcessor implements MediaProcessor {

    /** What the chat format's templates and {@code chat()} write for an image. */
    static final String CHAT_PLACEHOLDER = "<image>";

    private static final String IMG_START = "<img>";
    private static final String IMG_END = "</img>";

    private final Path folder;
    private final String placeholder;
    private final int imageTokenId;
    private final int tokensPerTile;
    private final Supplier<GotOcr2ImageProcessor> made;
    private volatile GotOcr2ImageProcessor images;
    private volatile int[] frame;

    private InternVlMediaProcessor(
            Path folder, String placeholder, InternVlConfig config, Supplier<GotOcr2ImageProcessor> made) {
        this.folder = folder;
        this.placeholder = placeholder;
        this.imageTokenId = Math.toIntExact(config.imageTokenId());
        this.tokensPerTile = config.tokensPerTile();
        this.made = made;
    }

    /** The chat format: tiles as its {@code load_image} makes them, with the config's tile counts. */
    static InternVlMediaProcessor chat(ModelConfig c, Path folder) {
        InternVlConfig config = InternVlConfig.chat(c);
        boolean dynamic = c.getBoolean(true, "dynamic_image_size");
        int min = dynamic ? c.getInt(1, "min_dynamic_patch") : 1;
        int max = dynamic ? c.getInt(12, "max_dynamic_patch") : 1;
        if (min < 1 || max < min) {
            throw new IllegalArgumentException(c.source() + ": max_dynamic_patch (" + max
                    + ") must be at least min_dynamic_patch (" + min + ") and that at least 1");
        }
        int side = config.vision().imageSize();
        return new InternVlMediaProcessor(
                folder,
                CHAT_PLACEHOLDER,
                config,
                () -> GotOcr2ImageProcessor.internVlChat(side, min, max, config.tokensPerTile()));
    }

    /** transformers' format: the folder's {@code GotOcr2ImageProcessor}. */
    static InternVlMediaProcessor hf(ModelConfig c, Path folder) {
        InternVlConfig config = InternVlConfig.hf(c);
        return new InternVlMediaProcessor(folder, InternVlConfig.IMAGE_CONTEXT, config, () -> {
            ImageProcessor p = ImageProcessors.forModel(folder);
            if (!(p instanceof GotOcr2ImageProcessor tiling)) {
                throw new IllegalArgumentException(folder.resolve("preprocessor_config.json") + ": InternVL reads"
                        + " images with GotOcr2ImageProcessor, not " + p.name());
            }
            int side = config.vision().imageSize();
            if (tiling.config().tileHeight() != side || tiling.config().tileWidth() != side) {
                throw new IllegalArgumentException(folder.resolve("preprocessor_config.json") + ": tiles of "
                        + tiling.config().tileWidth() + "x" + tiling.config().tileHeight()
                        + " for a vision tower of " + side + "-pixel tiles");
            }
            return tiling;
        });
    }

    @Override
    public Map<String, String> placeholders() {
        return Map.of(ContentPart.IMAGE, placeholder);
    }

    @Override
    public Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager) {
        if (prompt.media().isEmpty()) {
            return new Processed(prompt.inputIds(), prompt.labels(), null);
        }
        List<RgbImage> pictures = MediaProcessor.images(prompt, loader, "InternVL prompts take images here");
        GotOcr2ImageProcessor processor = processor();
        PixelValues pixels = processor.preprocess(pictures);
        int[] ends = frame();
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < pictures.size(); i++) {
            int tiles = pixels.tokens()[i] / processor.config().tokensPerTile();
            int[] run = new int[tiles * tokensPerTile + 2];
            Arrays.fill(run, imageTokenId);
            run[0] = ends[0];
            run[run.length - 1] = ends[1];
            runs.add(run);
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (tiles, 3, S, S)
        return MediaProcessor.expand(prompt, runs, MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values)));
    }

    private GotOcr2ImageProcessor processor() {
        GotOcr2ImageProcessor p = images;
        if (p == null) {
            p = made.get();
            images = p;
        }
        return p;
    }

    /** The ids of {@code <img>} and {@code </img>}, from the folder's tokenizer. */
    private int[] frame() {
        int[] f = frame;
        if (f == null) {
            f = new int[] {
                Math.toIntExact(TokenizerFiles.require(folder, IMG_START, "InternVL's image start")),
                Math.toIntExact(TokenizerFiles.require(folder, IMG_END, "InternVL's image end"))
            };
            frame = f;
        }
        return f;
    }
}
