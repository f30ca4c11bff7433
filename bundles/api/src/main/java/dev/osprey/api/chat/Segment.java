package dev.osprey.api.chat;

/**
 * A piece of a rendered conversation: text to tokenize, token ids to take as they are (special tokens a
 * text would not produce), or a media placeholder that a multimodal model expands into its own tokens.
 *
 * @param kind {@link #TEXT}, {@link #TOKENS} or {@link #MEDIA}
 * @param text the text, for {@link #TEXT}
 * @param tokenIds the ids, for {@link #TOKENS}
 * @param media the content part, for {@link #MEDIA}
 * @param trainable true when the loss is computed on this segment (the assistant's answers)
 */
public record Segment(String kind, String text, int[] tokenIds, ContentPart media, boolean trainable) {

    public static final String TEXT = "text";
    public static final String TOKENS = "tokens";
    public static final String MEDIA = "media";

    public static Segment text(String text, boolean trainable) {
        return new Segment(TEXT, text, null, null, trainable);
    }

    public static Segment tokens(int[] ids, boolean trainable) {
        return new Segment(TOKENS, null, ids.clone(), null, trainable);
    }

    public static Segment media(ContentPart part) {
        return new Segment(MEDIA, null, null, part, false);
    }
}
