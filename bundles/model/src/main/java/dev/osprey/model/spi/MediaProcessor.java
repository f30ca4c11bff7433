package dev.osprey.model.spi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.osgi.annotation.versioning.ConsumerType;

import ai.djl.ndarray.NDManager;

import dev.osprey.api.chat.ContentPart;
import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.model.MediaTensors;
import dev.osprey.media.MediaLoader;
import dev.osprey.media.MediaRef;
import dev.osprey.media.RgbImage;

/**
 * What a multimodal family's Hugging Face processor does to a prompt beside its pixels: the chat template writes a
 * placeholder per media part ({@link #placeholders}), the prompt encoder records each part where its placeholder was
 * ({@link EncodedPrompt#media()}), and this step loads the parts, runs the model's image processor and puts the
 * family's own tokens there (Qwen2-VL: t·h·w/merge² {@code <|image_pad|>}; InternVL: {@code <img>},
 * {@code <IMG_CONTEXT>}×N, {@code </img>}), unlabelled, with the {@link MediaTensors} its media stage reads.
 * Made per model folder by {@link DecoderFamily#mediaProcessor}.
 */
@ConsumerType
public interface MediaProcessor {

    /** The text the model's chat template writes for one part, by content part type ({@code image}, {@code video}). */
    Map<String, String> placeholders();

    /**
     * The prompt with its media expanded into the model's tokens, and their tensors in {@code manager}.
     *
     * @param loader reads the parts' references (its base folder: the dataset's or the request's)
     * @throws IllegalArgumentException (a {@code MediaException} for an unreadable part, naming it) when a part
     *         cannot be used
     */
    Processed process(EncodedPrompt prompt, MediaLoader loader, NDManager manager);

    /**
     * The prompt's media parts loaded as images, in order, for a family that takes images only.
     *
     * @param refusal what the message about any other part says after "media part i (type): "
     * @throws IllegalArgumentException naming the part that is not an image (a {@code MediaException} for one that
     *         cannot be read)
     */
    static List<RgbImage> images(EncodedPrompt prompt, MediaLoader loader, String refusal) {
        List<RgbImage> pictures = new ArrayList<>();
        for (int i = 0; i < prompt.media().size(); i++) {
            ContentPart part = prompt.media().get(i).part();
            if (!ContentPart.IMAGE.equals(part.type())) {
                throw new IllegalArgumentException("media part " + i + " (" + part.type() + "): " + refusal);
            }
            pictures.add(loader.image(MediaRef.image(part.value()).in("image " + (i + 1) + " of the prompt")));
        }
        return pictures;
    }

    /**
     * The prompt with {@code runs.get(i)} put where its media part {@code i} was, unlabelled: what a processor
     * does to the text once it knows each part's tokens.
     *
     * @param runs the tokens of each media part, in the order of {@link EncodedPrompt#media()}
     * @param media the tensors to carry
     * @throws IllegalArgumentException when the runs and parts differ in number, or the parts are out of order
     */
    static Processed expand(EncodedPrompt prompt, List<int[]> runs, MediaTensors media) {
        if (runs.size() != prompt.media().size()) {
            throw new IllegalArgumentException(
                    runs.size() + " token runs for " + prompt.media().size() + " media parts of the prompt");
        }
        int length = prompt.length() + runs.stream().mapToInt(r -> r.length).sum();
        int[] ids = new int[length];
        int[] labels = new int[length];
        int from = 0;
        int to = 0;
        for (int i = 0; i < runs.size(); i++) {
            int position = prompt.media().get(i).position();
            if (position < from || position > prompt.length()) {
                throw new IllegalArgumentException(
                        "media part " + i + " sits at " + position + ", outside or before the previous one");
            }
            int text = position - from;
            System.arraycopy(prompt.inputIds(), from, ids, to, text);
            System.arraycopy(prompt.labels(), from, labels, to, text);
            to += text;
            for (int token : runs.get(i)) {
                ids[to] = token;
                labels[to++] = EncodedPrompt.IGNORE_INDEX;
            }
            from = position;
        }
        System.arraycopy(prompt.inputIds(), from, ids, to, prompt.length() - from);
        System.arraycopy(prompt.labels(), from, labels, to, prompt.length() - from);
        return new Processed(ids, labels, media);
    }

    /**
     * A prompt as the model reads it.
     *
     * @param inputIds with each media part's tokens
     * @param labels as long, {@link EncodedPrompt#IGNORE_INDEX} at the media tokens
     * @param media the tensors, or null when the prompt has no media
     * @param attentionBlocks per token, as long: the bidirectional blocks the model must read the row with
     *        ({@code ForwardRequest#attentionBlocks}: a prefix-LM training row's prefix is block 0, its answer -1),
     *        or null when the row is read as the model reads any prompt
     */
    record Processed(int[] inputIds, int[] labels, MediaTensors media, int[] attentionBlocks) {

        public Processed {
            if (inputIds.length != labels.length) {
                throw new IllegalArgumentException(
                        "input ids and labels differ in length: " + inputIds.length + " and " + labels.length);
            }
            if (attentionBlocks != null && attentionBlocks.length != inputIds.length) {
                throw new IllegalArgumentException("input ids and attention blocks differ in length: " + inputIds.length
                        + " and " + attentionBlocks.length);
            }
        }

        /** A prompt read as the model reads any prompt. */
        public Processed(int[] inputIds, int[] labels, MediaTensors media) {
            this(inputIds, labels, media, null);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Processed p
                    && Arrays.equals(inputIds, p.inputIds)
                    && Arrays.equals(labels, p.labels)
                    && Objects.equals(media, p.media)
                    && Arrays.equals(attentionBlocks, p.attentionBlocks);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
        }

        @Override
        public String toString() {
            return "Processed[inputIds=" + Arrays.toString(inputIds) + ", media="
                    + (media == null ? "none" : media.tensors().keySet()) + "]";
        }
    }
}
