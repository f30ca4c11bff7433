package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A SentencePiece vocabulary (Llama 2, Mistral, Gemma) as llama.cpp's {@code llama} tokenizer wants it: every piece
 * with a score (llama.cpp merges the adjacent pair whose joined piece scores highest) and a llama_token_type. Read
 * from {@code tokenizer.model} when the folder has it, as {@code convert_hf_to_gguf.py} does; else from the
 * {@code tokenizer.json} transformers makes of it, whose merges are ordered by the joined piece's score, so a piece's
 * score is minus the rank of the first merge that makes it.
 */
final class SentencePieceVocab {

    /** The vocabulary by id; {@code addSpacePrefix}: SentencePiece's {@code add_dummy_prefix}. */
    record Pieces(
            Map<Integer, String> tokens,
            Map<Integer, Float> scores,
            Map<Integer, Integer> types,
            boolean addSpacePrefix) {}

    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private SentencePieceVocab() {}

    /** Whether a BPE tokenizer.json is SentencePiece-style ({@code ▁} for spaces) rather than byte-level. */
    static boolean isSentencePiece(JsonNode tokenizer) {
        String text =
                tokenizer.path("normalizer").toString() + tokenizer.path("pre_tokenizer") + tokenizer.path("decoder");
        return !text.contains("ByteLevel") && (text.contains("▁") || text.contains("Metaspace"));
    }

    /**
     * The pieces of a SentencePiece {@code ModelProto} ({@code tokenizer.model}): field 1 the pieces (piece, score,
     * type), field 3 the normalizer spec (its field 3 {@code add_dummy_prefix}, true unless set).
     *
     * @throws IllegalArgumentException naming the file when it is not such a protobuf
     */
    static Pieces fromModelFile(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, String> tokens = new HashMap<>();
        Map<Integer, Float> scores = new HashMap<>();
        Map<Integer, Integer> types = new HashMap<>();
        boolean addSpacePrefix = true;
        try {
            while (buf.hasRemaining()) {
                long key = varint(buf);
                int field = (int) (key >>> 3);
                int wire = (int) (key & 7);
                if (field == 1 && wire == 2) {
                    int id = tokens.size();
                    ByteBuffer piece = slice(buf);
                    tokens.put(id, "");
                    types.put(id, GgufVocab.NORMAL);
                    scores.put(id, 0f);
                    while (piece.hasRemaining()) {
                        long k = varint(piece);
                        switch ((int) (k >>> 3)) {
                            case 1 ->
                                tokens.put(
                                        id,
                                        StandardCharsets.UTF_8
                                                .decode(slice(piece))
                                                .toString());
                            case 2 -> scores.put(id, piece.getFloat());
                            case 3 -> types.put(id, (int) varint(piece));
                            default -> skip(piece, (int) (k & 7));
                        }
                    }
                } else if (field == 3 && wire == 2) {
                    ByteBuffer spec = slice(buf);
                    while (spec.hasRemaining()) {
                        long k = varint(spec);
                        if (k >>> 3 == 3 && (k & 7) == 0) {
                            addSpacePrefix = varint(spec) != 0;
                        } else {
                            skip(spec, (int) (k & 7));
                        }
                    }
                } else {
                    skip(buf, wire);
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a SentencePiece model: " + e.getMessage(), e);
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(file + " has no SentencePiece pieces");
        }
        return new Pieces(tokens, scores, types, addSpacePrefix);
    }

    /**
     * The pieces of a SentencePiece-style BPE {@code tokenizer.json}: {@code <0xNN>} pieces are bytes, the model's
     * unk_token unknown, special added tokens control, other added tokens user-defined; a normalizer or
     * pre-tokenizer that prepends {@code ▁} sets {@code addSpacePrefix}.
     */
    static Pieces fromTokenizerJson(JsonNode tokenizer) {
        JsonNode model = tokenizer.path("model");
        Map<Integer, String> tokens = new HashMap<>();
        model.path("vocab")
                .fields()
                .forEachRemaining(e -> tokens.put(e.getValue().asInt(), e.getKey()));
        Map<String, Integer> ids = new HashMap<>();
        tokens.forEach((id, token) -> ids.put(token, id));
        Map<Integer, Float> scores = new HashMap<>();
        int rank = 0;
        for (JsonNode merge : model.path("merges")) {
            String joined = merge.isArray()
                    ? merge.get(0).asText() + merge.get(1).asText()
                    : merge.asText().replaceFirst(" ", "");
            Integer id = ids.get(joined);
            if (id != null) {
                scores.putIfAbsent(id, (float) -rank);
            }
            rank++;
        }
        Map<Integer, Integer> types = new HashMap<>();
        String unk = model.path("unk_token").asText(null);
        tokens.forEach((id, token) -> {
            scores.putIfAbsent(id, 0f);
            types.put(
                    id,
                    token.equals(unk)
                            ? GgufVocab.UNKNOWN
                            : BYTE_PIECE.matcher(token).matches() ? GgufVocab.BYTE : GgufVocab.NORMAL);
        });
        String prefixing = tokenizer.path("normalizer").toString() + tokenizer.path("pre_tokenizer");
        boolean addSpacePrefix = prefixing.contains("\"Prepend\"")
                || (prefixing.contains("Metaspace") && !prefixing.contains("\"prepend_scheme\":\"never\""));
        return new Pieces(tokens, scores, types, addSpacePrefix);
    }

    /** Added tokens of tokenizer.json over the pieces, as the converter applies them: score −1000. */
    static void addAddedTokens(Pieces pieces, JsonNode tokenizer) {
        for (JsonNode added : tokenizer.path("added_tokens")) {
            int id = added.path("id").asInt();
            String content = added.path("content").asText();
            boolean special = added.path("special").asBoolean(false);
            Integer type = pieces.types().get(id);
            if (type != null
                    && type == GgufVocab.UNKNOWN
                    && content.equals(pieces.tokens().get(id))) {
                continue; // <unk> stays unknown
            }
            pieces.tokens().put(id, content);
            pieces.scores().put(id, -1000f);
            pieces.types().put(id, special ? GgufVocab.CONTROL : GgufVocab.USER_DEFINED);
        }
    }

    private static long varint(ByteBuffer buf) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = buf.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    private static ByteBuffer slice(ByteBuffer buf) {
        int length = Math.toIntExact(varint(buf));
        ByteBuffer part = buf.slice().limit(length).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + length);
        return part;
    }

    private static void skip(ByteBuffer buf, int wire) {
        switch (wire) {
            case 0 -> varint(buf);
            case 1 -> buf.position(buf.position() + 8);
            case 2 -> slice(buf);
            case 5 -> buf.position(buf.position() + 4);
            default -> throw new IllegalArgumentException("protobuf wire type " + wire);
        }
    }
}
