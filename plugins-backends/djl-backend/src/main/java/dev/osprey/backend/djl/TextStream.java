package dev.osprey.backend.djl;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Turns generated token ids into text as they come, for streaming: each call returns only the text
 * that is final. Text is decoded over a small window of ids (Hugging Face TGI's incremental
 * detokenization), so a token whose text depends on the one before (a leading space) comes out right
 * and a multi-byte character split over several tokens is held back until it is complete (the decoder
 * gives U+FFFD for an incomplete one). Text that could be the start of a stop string is held back too,
 * so that a stop string is cut exactly, however the tokens split it.
 */
final class TextStream {

    /** How many prompt ids to decode with, so that the first new token's text is decoded in context. */
    private static final int PROMPT_CONTEXT = 5;

    private static final char REPLACEMENT = '\uFFFD';

    /** Text that {@link #add} made final, and whether a stop string ended the text. */
    record Piece(String text, boolean stopped) {}

    private final Function<long[], String> decoder;
    private final List<String> stops;
    private long[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    /**
     * @param decoder ids to text (special tokens skipped), or null when the model has no tokenizer
     * @param prompt the prompt ids, whose last few give the first new token its context
     */
    TextStream(Function<long[], String> decoder, int[] prompt, List<String> stops) {
        this.decoder = decoder;
        this.stops = stops;
        int context = Math.min(PROMPT_CONTEXT, prompt.length);
        this.ids = new long[context + 16];
        for (int i = 0; i < context; i++) {
            ids[i] = prompt[prompt.length - context + i];
        }
        this.size = context;
        this.prefixOffset = 0;
        this.readOffset = context;
    }

    /**
     * Adds a generated token.
     *
     * @param last no token follows (the sequence ends for another reason): flush what was held back
     */
    Piece add(int token, boolean last) {
        if (stopped) {
            throw new IllegalStateException("the text already ended at a stop string");
        }
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = token;
        if (decoder == null) {
            return new Piece("", false);
        }
        int searchFrom = Math.max(0, text.length() - longestStop() + 1);
        String prefixText = decoder.apply(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String newText = decoder.apply(Arrays.copyOfRange(ids, prefixOffset, size));
        boolean complete = newText.isEmpty() || newText.charAt(newText.length() - 1) != REPLACEMENT;
        if (newText.length() > prefixText.length() && (complete || last)) {
            text.append(newText, prefixText.length(), newText.length());
            prefixOffset = readOffset;
            readOffset = size;
        }
        int stopAt = firstStop(searchFrom);
        int end;
        if (stopAt >= 0) {
            stopped = true;
            end = stopAt;
        } else {
            end = last ? text.length() : text.length() - heldForStops();
        }
        String piece = end > emitted ? text.substring(emitted, end) : "";
        emitted = Math.max(emitted, end);
        return new Piece(piece, stopped);
    }

    private int longestStop() {
        int longest = 0;
        for (String s : stops) {
            longest = Math.max(longest, s.length());
        }
        return longest;
    }

    private int firstStop(int from) {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, from);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The length of the longest end of the text that is a proper start of a stop string. */
    private int heldForStops() {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
