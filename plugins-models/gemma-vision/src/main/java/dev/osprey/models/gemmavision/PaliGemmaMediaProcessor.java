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
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.PaliGemmaPrompt;
import dev.osprey.media.PixelValues;
import dev.osprey.media.RgbImage;
import dev.osprey.model.spi.MediaProcessor;
import dev.osprey.model.spi.TokenizerFiles;

/**
 * PaliGemma's {@code PaliGemmaProcessor} beside the pixels, for a prompt whose template writes {@code <image>} per
 * image: each becomes {@code image_seq_length} image tokens, BOS follows the last image (a BOS the prompt starts with
 * moves there), and {@code "\n"} ends the prompt, which is the prefix. A training row (an unlabelled prompt before
 * a labelled answer) is refused: the model needs {@code token_type_ids} to read its answer causally, which a training
 * batch does not carry yet. The images become
 * {@code pixel_values} (N, 3, S, S) from the folder's {@code SiglipImageProcessor}. Without {@code token_type_ids}
 * the model reads the whole prompt as its prefix, which is right for generation.
 */
final class PaliGemmaMediaProcessor implements MediaProcessor {

    private final ImageParts images;
    private final int imageToken;
    private final int perImage;
    private final int bos;
    private volatile Integer newline;

    PaliGemmaMediaProcessor(ModelConfig config, Path folder, int perImage) {
        this.images = new ImageParts(folder, "paligemma");
        this.imageToken = config.getInt(257152, "image_token_index", "image_token_id");
        this.bos = config.getInt(2, "text_config.bos_token_id", "bos_token_id");
        this.perImage = perImage;
    }

    @Override
    public Map<String, String> placeholders() {
        return Map.of(ContentPart.IMAGE, PaliGemmaPrompt.IMAGE_TOKEN);
    }

    @Override
    public Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager) {
        if (prompt.media().isEmpty()) {
            return new Processed(prompt.inputIds(), prompt.labels(), null);
        }
        boolean labelled = Arrays.stream(prompt.labels()).anyMatch(l -> l != EncodedPrompt.IGNORE_INDEX);
        boolean unlabelled = Arrays.stream(prompt.labels()).anyMatch(l -> l == EncodedPrompt.IGNORE_INDEX);
        if (labelled && unlabelled) {
            throw new IllegalArgumentException("paligemma: training rows with images are not supported yet (the"
                    + " answer must be read causally through token_type_ids, which training batches do not carry)");
        }
        List<RgbImage> pictures = images.load(prompt, loader);
        PixelValues pixels = images.processor().preprocess(pictures);
        for (int i = 0; i < pictures.size(); i++) {
            if (pixels.tokens()[i] != perImage) {
                throw new IllegalArgumentException(images.folder().resolve("preprocessor_config.json") + ": images of "
                        + pixels.tokens()[i] + " tokens for a vision tower of " + perImage);
            }
        }
        List<int[]> runs = new ArrayList<>();
        for (int i = 0; i < pictures.size(); i++) {
            int[] run = new int[i == pictures.size() - 1 ? perImage + 1 : perImage];
            Arrays.fill(run, imageToken);
            run[run.length - 1] = i == pictures.size() - 1 ? bos : imageToken; // BOS after the last image
            runs.add(run);
        }
        EncodedPrompt withoutBos = prompt;
        if (prompt.length() > 0 && prompt.inputIds()[0] == bos) {
            // the tokenizer's leading BOS: the processor puts it after the images
            withoutBos = new EncodedPrompt(
                    Arrays.copyOfRange(prompt.inputIds(), 1, prompt.length()),
                    Arrays.copyOfRange(prompt.labels(), 1, prompt.length()),
                    prompt.media().stream()
                            .map(m -> new MediaInput(Math.max(0, m.position() - 1), m.part()))
                            .toList());
        }
        NDArray values = manager.create(pixels.data(), new Shape(pixels.shape())); // (images, 3, S, S)
        Processed expanded =
                MediaProcessor.expand(withoutBos, runs, MediaTensors.of(Map.of(MediaTensors.PIXEL_VALUES, values)));
        return endPrefix(expanded);
    }

    /** {@code "\n"} at the end of the prefix, which is the whole prompt. */
    private Processed endPrefix(Processed p) {
        int[] ids = Arrays.copyOf(p.inputIds(), p.inputIds().length + 1);
        int[] labels = Arrays.copyOf(p.labels(), ids.length);
        ids[ids.length - 1] = newline();
        labels[ids.length - 1] = EncodedPrompt.IGNORE_INDEX;
        return new Processed(ids, labels, p.media());
    }

    private int newline() {
        Integer id = newline;
        if (id == null) {
            id = Math.toIntExact(TokenizerFiles.require(images.folder(), "\n", "the newline that ends the prefix"));
            newline = id;
        }
        return id;
    }
}
