package dev.osprey.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.chat.EncodedPrompt;
import dev.osprey.api.chat.MediaInput;
import dev.osprey.api.chat.Segment;

/**
 * Segments to token ids and labels: each text segment is tokenized on its own without special tokens
 * being added (the template writes them), token segments are taken as they are, and a position's label
 * is its token id where the segment is trainable and {@link #IGNORE_INDEX} elsewhere (the labels are not
 * shifted; the loss shifts them).
 *
 * <p>Tokenizing segment by segment gives the ids of the whole text as long as no token spans a segment
 * boundary; the templates put boundaries next to special tokens or newlines, where BPE pre-tokenizers
 * split anyway. Tokenizers that add a prefix space to every call (SentencePiece-style Metaspace with
 * {@code prepend_scheme: always}) do not keep that property; use one text segment per turn with them.
 *
 * <p>The tokenizer must not truncate ({@code truncation=false} among its options; DJL truncates at 512
 * tokens otherwise): a truncated segment is an error.
 *
 * <p>Thread-safe as far as the tokenizer is.
 */
public final class ChatEncoder {

    /** The label of a position the loss ignores. */
    public static final int IGNORE_INDEX = EncodedPrompt.IGNORE_INDEX;

    private final HuggingFaceTokenizer tokenizer;

    public ChatEncoder(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /**
     * Token ids and labels of the same length.
     *
     * @param inputIds the model's input
     * @param labels the ids where trained, {@link #IGNORE_INDEX} elsewhere
     */
    public record Encoded(int[] inputIds, int[] labels) {

        public Encoded {
            if (inputIds.length != labels.length) {
                throw new IllegalArgumentException(
                        "input ids and labels differ in length: " + inputIds.length + " and " + labels.length);
            }
        }

        public int length() {
            return inputIds.length;
        }

        /** How many positions are trained on. */
        public int trainedTokens() {
            return (int) Arrays.stream(labels).filter(l -> l != IGNORE_INDEX).count();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Encoded e && Arrays.equals(inputIds, e.inputIds) && Arrays.equals(labels, e.labels);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
        }

        @Override
        public String toString() {
            return "Encoded[inputIds=" + Arrays.toString(inputIds) + ", labels=" + Arrays.toString(labels) + "]";
        }
    }

    /**
     * Encodes segments.
     *
     * @throws IllegalArgumentException for a media segment (multimodal input needs a multimodal model bundle)
     */
    public Encoded encode(List<Segment> segments) {
        EncodedPrompt prompt = encode(segments, false);
        return new Encoded(prompt.inputIds(), prompt.labels());
    }

    /**
     * Encodes segments; a media segment becomes a {@link MediaInput} at the position it sits, when
     * {@code acceptMedia}.
     *
     * @throws IllegalArgumentException for a media segment when not {@code acceptMedia}, naming it
     */
    public EncodedPrompt encode(List<Segment> segments, boolean acceptMedia) {
        int[] ids = new int[64];
        int[] labels = new int[64];
        List<MediaInput> media = new ArrayList<>();
        int n = 0;
        for (int s = 0; s < segments.size(); s++) {
            Segment segment = segments.get(s);
            if (Segment.MEDIA.equals(segment.kind())) {
                if (!acceptMedia) {
                    throw new IllegalArgumentException("segment " + s
                            + ": multimodal input needs a multimodal model bundle ("
                            + segment.media().type() + " " + segment.media().value() + ")");
                }
                media.add(new MediaInput(n, segment.media()));
                continue;
            }
            int[] piece = switch (segment.kind()) {
                case Segment.TEXT -> tokenize(segment.text());
                case Segment.TOKENS -> segment.tokenIds().clone();
                default ->
                    throw new IllegalArgumentException("segment " + s + ": unknown kind '" + segment.kind() + "'");
            };
            if (n + piece.length > ids.length) {
                int size = Math.max(ids.length * 2, n + piece.length);
                ids = Arrays.copyOf(ids, size);
                labels = Arrays.copyOf(labels, size);
            }
            for (int i = 0; i < piece.length; i++) {
                ids[n + i] = piece[i];
                labels[n + i] = segment.trainable() ? piece[i] : IGNORE_INDEX;
            }
            n += piece.length;
        }
        return new EncodedPrompt(Arrays.copyOf(ids, n), Arrays.copyOf(labels, n), media);
    }

    /** The ids of a text, special tokens written in it recognised, none added. */
    public int[] tokenize(String text) {
        if (text.isEmpty()) {
            return new int[0];
        }
        Encoding encoding = tokenizer.encode(text, false, false);
        if (encoding.exceedMaxLength()) {
            throw new IllegalArgumentException("the tokenizer truncated a segment of " + text.length() + " characters; "
                    + "create it with truncation=false (the trainer truncates whole sequences itself)");
        }
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** The segments' texts joined, media as nothing; what a template rendered. */
    public static String text(List<Segment> segments) {
        StringBuilder b = new StringBuilder();
        for (Segment s : segments) {
            if (Segment.TEXT.equals(s.kind())) {
                b.append(s.text());
            }
        }
        return b.toString();
    }
}
