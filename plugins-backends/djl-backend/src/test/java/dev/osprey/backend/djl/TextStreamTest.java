package dev.osprey.backend.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/**
 * Streaming text from byte-level tokens: one token per UTF-8 byte, decoded as a byte-level tokenizer
 * decodes (an incomplete character becomes U+FFFD), so characters split over tokens and stop strings
 * split over tokens are both exercised.
 */
class TextStreamTest {

    /** Token id = byte value. */
    static final Function<long[], String> BYTES = ids -> {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    };

    static int[] tokens(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    /** Streams {@code completion} token by token; returns the pieces. */
    static List<TextStream.Piece> stream(String prompt, String completion, List<String> stops) {
        TextStream stream = new TextStream(BYTES, tokens(prompt), stops);
        int[] ids = tokens(completion);
        List<TextStream.Piece> pieces = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            TextStream.Piece piece = stream.add(ids[i], i == ids.length - 1);
            pieces.add(piece);
            if (piece.stopped()) {
                break;
            }
        }
        return pieces;
    }

    static String joined(List<TextStream.Piece> pieces) {
        StringBuilder sb = new StringBuilder();
        pieces.forEach(p -> sb.append(p.text()));
        return sb.toString();
    }

    @Test
    void multiByteCharactersArriveWholeAndInOrder() {
        String completion = "héllo wörld ✓ 𝄞 end";
        List<TextStream.Piece> pieces = stream("ab", completion, List.of());
        assertEquals(completion, joined(pieces));
        for (TextStream.Piece p : pieces) {
            assertFalse(p.text().contains("\uFFFD"), "a broken character was streamed: " + pieces);
        }
        assertTrue(pieces.stream().anyMatch(p -> p.text().isEmpty()), "the multi-byte characters were never held back");
    }

    @Test
    void aStopStringSplitOverTokensIsCutExactly() {
        List<TextStream.Piece> pieces = stream("", "one ✓✓ two STOP three", List.of("✓ two S", "zzz"));
        assertEquals("one ✓", joined(pieces));
        assertTrue(pieces.get(pieces.size() - 1).stopped());
    }

    @Test
    void textThatOnlyLooksLikeAStopStringIsReleasedOnceItDiverges() {
        List<TextStream.Piece> pieces = stream("", "abcabd", List.of("abd!"));
        assertEquals("abcabd", joined(pieces));
        assertFalse(pieces.get(pieces.size() - 1).stopped());
        assertEquals("", pieces.get(0).text(), "'a' could start the stop string, so it waits");
    }

    @Test
    void aCompletionEndingInsideACharacterIsFlushed() {
        TextStream stream = new TextStream(BYTES, tokens("x"), List.of());
        int[] euro = tokens("€");
        assertEquals("", stream.add(euro[0], false).text());
        assertEquals("\uFFFD", stream.add(euro[1], true).text(), "the last token ends the text, broken or not");
    }
}
