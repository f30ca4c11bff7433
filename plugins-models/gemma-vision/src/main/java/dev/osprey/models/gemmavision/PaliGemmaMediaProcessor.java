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
 * moves there), and {@code "\n"} ends the prefix: at the end of a prompt to generate from (one labelled stretch, as
 * the prompt encoder gives it), else before the first labelled token after the images (a training row's answer). The images become
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
        boolean toGenerate = Arrays.stream(withoutBos.labels()).noneMatch(l -> l == EncodedPrompt.IGNORE_INDEX);
        int lastImage = withoutBos.media().get(withoutBos.media().size() - 1).position()
                + runs.stream().mapToInt(r -> r.length).sum();
        return endPrefix(expanded, toGenerate ? expanded.inputIds().length : lastImage);
    }

    /** {@code "\n"} at the end of the prefix: the first labelled token from {@code from}, else the end. */
    private Processed endPrefix(Processed p, int from) {
        int at = from;
        while (at < p.labels().length && p.labels()[at] == EncodedPrompt.IGNORE_INDEX) {
            at++;
        }
        int[] ids = new int[p.inputIds().length + 1];
        int[] labels = new int[ids.length];
        System.arraycopy(p.inputIds(), 0, ids, 0, at);
        System.arraycopy(p.labels(), 0, labels, 0, at);
        ids[at] = newline();
        labels[at] = EncodedPrompt.IGNORE_INDEX;
        System.arraycopy(p.inputIds(), at, ids, at + 1, ids.length - at - 1);
        System.arraycopy(p.labels(), at, labels, at + 1, ids.length - at - 1);
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
