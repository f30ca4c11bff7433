package dev.osprey.api.chat;

import java.util.Objects;

/**
 * One part of a message's content: text, or a reference to an image, a video or an audio clip (a URL,
 * a {@code data:} URI or a local path), as in the OpenAI and ms-swift message formats.
 *
 * @param type {@link #TEXT}, {@link #IMAGE}, {@link #VIDEO} or {@link #AUDIO}
 * @param value the text, or the media reference
 */
public record ContentPart(String type, String value) {

    public static final String TEXT = "text";
    public static final String IMAGE = "image";
    public static final String VIDEO = "video";
    public static final String AUDIO = "audio";

    public ContentPart {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static ContentPart text(String text) {
        return new ContentPart(TEXT, text);
    }

    public static ContentPart image(String reference) {
        return new ContentPart(IMAGE, reference);
    }

    public boolean isText() {
        return TEXT.equals(type);
    }
}
