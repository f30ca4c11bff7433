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
 * a labelled answer) is what {@code PaliGemmaProcessor} makes of a text and its {@code suffix}: {@code "\n"} ends the
 * unlabelled prefix, and the row's attention blocks mark the prefix 0 (both ways) and everything from the first
 * labelled token on -1 (causal), as its {@code token_type_ids} 0 and 1 do (ms-swift's PaliGemma template splits its
 * rows there too). The images become {@code pixel_values} (N, 3, S, S) from the folder's
 * {@code SiglipImageProcessor}. A prompt is one block, its prefix (which is how the model reads a prompt without
 * blocks too, for generation).
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
        int answer = labelled && unlabelled ? firstLabelled(prompt.labels()) : -1;
        for (int i = 0; answer >= 0 && i < prompt.media().size(); i++) {
            if (prompt.media().get(i).position() > answer) {
                throw new IllegalArgumentException("paligemma: image " + (i + 1) + " is in the labelled answer; its"
                        + " images belong to the prefix (the prompt before the answer)");
            }
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
        return answer < 0 ? endPrefix(expanded) : splitAtAnswer(expanded);
    }

    private static int firstLabelled(int[] labels) {
        int i = 0;
        while (labels[i] == EncodedPrompt.IGNORE_INDEX) {
            i++;
        }
        return i;
    }

    /**
     * {@code "\n"} before the first labelled token, and the blocks of a prefix-LM row: 0 up to it (prefix), -1 from
     * the answer on (suffix).
     */
    private Processed splitAtAnswer(Processed p) {
        int answer = firstLabelled(p.labels());
        int[] ids = new int[p.inputIds().length + 1];
        int[] labels = new int[ids.length];
        System.arraycopy(p.inputIds(), 0, ids, 0, answer);
        System.arraycopy(p.labels(), 0, labels, 0, answer);
        ids[answer] = newline();
        labels[answer] = EncodedPrompt.IGNORE_INDEX;
        System.arraycopy(p.inputIds(), answer, ids, answer + 1, ids.length - answer - 1);
        System.arraycopy(p.labels(), answer, labels, answer + 1, ids.length - answer - 1);
        int[] blocks = new int[ids.length];
        Arrays.fill(blocks, answer + 1, ids.length, -1);
        return new Processed(ids, labels, p.media(), blocks);
    }

    /**
     * {@code "\n"} at the end of the prefix, which is the whole prompt: one block, so that an answer a trainer
     * appends (GRPO's completions) is read causally after it.
     */
    private Processed endPrefix(Processed p) {
        int[] ids = Arrays.copyOf(p.inputIds(), p.inputIds().length + 1);
        int[] labels = Arrays.copyOf(p.labels(), ids.length);
        ids[ids.length - 1] = newline();
        labels[ids.length - 1] = EncodedPrompt.IGNORE_INDEX;
        return new Processed(ids, labels, p.media(), new int[ids.length]);
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
