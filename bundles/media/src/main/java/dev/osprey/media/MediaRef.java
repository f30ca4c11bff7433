package dev.osprey.media;

import java.util.Objects;

/**
 * A media reference as a message carries it, with what errors should call it.
 *
 * @param kind {@code image}, {@code video} or {@code video frame}: the first word of an error message
 * @param reference a local path, a {@code file:} or {@code http(s):} URL, or a {@code data:} URI
 * @param context where the reference came from, e.g. {@code row 3} or {@code data.jsonl line 3}; may be null
 */
public record MediaRef(String kind, String reference, String context) {

    public MediaRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reference, "reference");
    }

    public static MediaRef image(String reference) {
        return new MediaRef("image", reference, null);
    }

    public MediaRef in(String where) {
        return new MediaRef(kind, reference, where);
    }

    /** {@code image 'x.webp' (row 3)}; a data URI is shortened to its media type. */
    public String describe() {
        String shown = reference;
        if (shown.startsWith("data:")) {
            int comma = shown.indexOf(',');
            shown = (comma > 0 ? shown.substring(0, comma) : "data:") + ",…";
        } else if (shown.length() > 200) {
            shown = shown.substring(0, 200) + "…";
        }
        return kind + " '" + shown + "'" + (context == null ? "" : " (" + context + ")");
    }

    /** An exception whose message is {@code describe() + ": " + what}. */
    public MediaException error(String what) {
        return new MediaException(describe() + ": " + what);
    }

    public MediaException error(String what, Throwable cause) {
        return new MediaException(describe() + ": " + what, cause);
    }
}
