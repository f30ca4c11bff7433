package dev.osprey.models.llava;

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
import dev.osprey.media.PixtralImageProcessor;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.TokenizerFiles;

/**
 * What {@code PixtralProcessor} (Mistral 3, Pixtral) and {@code LlavaProcessor} (LLaVA 1.5) do beside the pixels:
 * the chat template's image placeholder ({@code [IMG]}, {@code <image>}) becomes the image's tokens, unlabelled, and
 * the images become {@code pixel_values} (with {@code image_sizes} for Pixtral). Pixtral: per row of merged patches,
 * that many {@code [IMG]} and an {@code [IMG_BREAK]}, the last one an {@code [IMG_END]}, the image processor's patch
 * being the tower's patch times {@code spatial_merge_size}; LLaVA: one {@code <image>} per patch (and one for the
 * class token with the "full" strategy). The image processor is read from {@code preprocessor_config.json} when the
 * first image comes, so a folder without one loads and serves text.
 */
final class LlavaMediaProcessor implements MediaProcessor {

    private final Path folder;
    private final String placeholder;
    private final int imageToken;
    private final int patch;
    private final int extraTokens;
    private final boolean rows;
    private final AnyResolution tiles;
    private final LlavaNextStage.Tiling tiling;
    private volatile ImageProcessor images;
    private volatile int[] breakAndEnd;

    /**
     * @param placeholder what the chat template writes per image
     * @param patch Pixtral: the tower's patch times the merge, the processor's patch; 0 for CLIP's fixed size
     * @param extraTokens LLaVA: tokens beside the patches (1 for the class token of the "full" strategy)
     * @param rows Pixtral's rows with {@code [IMG_BREAK]} and {@code [IMG_END]}
     */
    private LlavaMediaProcessor(
            Path folder,
            String placeholder,
            int imageToken,
            int patch,
            int extraTokens,
            boolean rows,
            AnyResolution tiles,
            LlavaNextStage.Tiling tiling) {
        this.folder = folder;
        this.tiles = tiles;
        this.tiling = tiling;
        this.placeholder = placeholder;
        this.imageToken = imageToken;
        this.patch = patch;
        this.extraTokens = extraTokens;
        this.rows = rows;
    }

    /** {@code PixtralProcessor}'s: {@code [IMG]} rows, the image processor's patch {@code patch}. */
    static LlavaMediaProcessor pixtral(Path folder, int imageToken, int patch) {
        return new LlavaMediaProcessor(folder, "[IMG]", imageToken, patch, 0, true, null, null);
    }

    /** {@code LlavaProcessor}'s: {@code <image>} repeated per patch (CLIP's fixed size) and {@code extra}. */
    static LlavaMediaProcessor llava(Path folder, int imageToken, int towerPatch, int extra) {
        return new LlavaMediaProcessor(folder, "<image>", imageToken, towerPatch, extra, false, null, null);
    }

    /**
     * {@code LlavaNextProcessor}'s: {@code <image>} per feature the stage packs (base tile, unpadded tiles, a newline
     * per row), {@code image_sizes} the original sizes.
     *
     * @param side patches along a tile's side
     */
    static LlavaMediaProcessor next(Path folder, int imageToken, int side, int extra, AnyResolution tiles) {
        return new LlavaMediaProcessor(
                folder, "<image>", imageToken, side, extra, false, tiles, LlavaNextStage.Tiling.NEXT);
    }

    /**
     * {@code LlavaOnevisionProcessor}'s: as LLaVA-NeXT's with OneVision's {@code tiling} (the map shrunk past
     * {@code anyres_max_N}); a prompt's several images each its base tile and a newline.
     */
    static LlavaMediaProcessor oneVision(
            Path folder, int imageToken, int side, AnyResolution tiles, LlavaNextStage.Tiling tiling) {
        return new LlavaMediaProcessor(folder, "<image>", imageToken, side, 0, false, tiles, tiling);
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
        List<RgbImage> pictures = MediaProcessor.images(prompt, loader, "these models take images only");
        PixelValues pixels = processor().preprocess(pictures);
        List<int[]> expanded = new ArrayList<>();
        for (int i = 0; i < pictures.size(); i++) {
            expanded.add(tokensOf(pixels, i));
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (N, [tiles,] 3, H, W)
        if (tiles != null) {
            long[] original = new long[pictures.size() * 2];
            for (int i = 0; i < pictures.size(); i++) {
                original[2 * i] = pixels.gridThw()[i][1];
                original[2 * i + 1] = pixels.gridThw()[i][2];
            }
            NDArray imageSizes = manager.create(original, new Shape(pictures.size(), 2)); // (N, 2) height, width
            return MediaProcessor.expand(
                    prompt,
                    expanded,
                    MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values, VisionStage.IMAGE_SIZES, imageSizes)));
        }
        if (!rows) {
            return MediaProcessor.expand(prompt, expanded, MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values)));
        }
        long[] sizes = new long[pictures.size() * 2];
        for (int i = 0; i < pictures.size(); i++) {
            sizes[2 * i] = (long) pixels.gridThw()[i][1] * patch;
            sizes[2 * i + 1] = (long) pixels.gridThw()[i][2] * patch;
        }
        NDArray imageSizes = manager.create(sizes, new Shape(pictures.size(), 2)); // (N, 2) height, width
        return MediaProcessor.expand(
                prompt,
                expanded,
                MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values, VisionStage.IMAGE_SIZES, imageSizes)));
    }

    /** The tokens image {@code i} becomes in the prompt. */
    private int[] tokensOf(PixelValues pixels, int i) {
        if (tiles != null) {
            long[] size = {pixels.gridThw()[i][1], pixels.gridThw()[i][2]};
            boolean tiled = !tiling.loneImagesOnly() || pixels.gridThw().length == 1;
            int[] out = new int
                    [Math.toIntExact(LlavaNextStage.packedTokens(tiles, patch, extraTokens, tiling, size, tiled))];
            Arrays.fill(out, imageToken);
            return out;
        }
        if (!rows) {
            long h = pixels.shape()[2];
            long w = pixels.shape()[3];
            int count = Math.toIntExact((h / patch) * (w / patch) + extraTokens);
            int[] out = new int[count];
            Arrays.fill(out, imageToken);
            return out;
        }
        int[] ends = breakAndEnd();
        int r = pixels.gridThw()[i][1];
        int c = pixels.gridThw()[i][2];
        int[] out = new int[r * (c + 1)];
        int at = 0;
        for (int y = 0; y < r; y++) {
            for (int x = 0; x < c; x++) {
                out[at++] = imageToken;
            }
            out[at++] = y + 1 < r ? ends[0] : ends[1];
        }
        return out;
    }

    private int[] breakAndEnd() {
        int[] ids = breakAndEnd;
        if (ids == null) {
            ids = new int[] {
                Math.toIntExact(TokenizerFiles.require(folder, "[IMG_BREAK]", "Pixtral's row break")),
                Math.toIntExact(TokenizerFiles.require(folder, "[IMG_END]", "Pixtral's image end"))
            };
            breakAndEnd = ids;
        }
        return ids;
    }

    private ImageProcessor processor() {
        ImageProcessor p = images;
        if (p == null) {
            p = ImageProcessors.forModel(folder);
            if (rows) {
                if (!(p instanceof PixtralImageProcessor pixtral)) {
                    throw new IllegalArgumentException(folder + ": preprocessor_config.json names " + p.name()
                            + "; Pixtral towers take PixtralImageProcessor's images");
                }
                p = pixtral.withPatchSize(patch);
            }
            images = p;
        }
        return p;
    }
}
