package dev.osprey.export.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A model folder's tokenizer as llama.cpp's {@code tokenizer.ggml.*} metadata, as {@code convert_hf_to_gguf.py}
 * writes it: a byte-level BPE tokenizer.json (Llama 3, Qwen2) as the {@code gpt2} vocabulary with its merges, a
 * SentencePiece one (Llama 2, Mistral, Gemma; {@link SentencePieceVocab}) as the {@code llama} vocabulary with
 * scores. Every id below the model's vocab_size gets a token ({@code [PADn]}, type unused, where the tokenizer has
 * none); special added tokens are control tokens, other added tokens user-defined.
 */
final class GgufVocab {

    private static final ObjectMapper JSON = new ObjectMapper();

    // llama_token_type, which is also SentencePiece's piece type
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /**
     * llama.cpp's pre-tokenizer for a byte-level BPE vocabulary per architecture. The converter finds it by hashing
     * the tokenizer's output on a test text; here the architecture decides: Qwen2's regex for qwen2, Llama 3's for a
     * BPE llama.
     */
    static final Map<String, String> PRE_TOKENIZERS = Map.of("qwen2", "qwen2", "llama", "llama-bpe");

    private GgufVocab() {}

    /**
     * @throws IllegalArgumentException when the folder has no tokenizer.json, its model is neither byte-level nor
     *     SentencePiece BPE, or it has more tokens than the model's vocab_size
     */
    static void putMetadata(GgufWriter gguf, Path folder, String arch, int vocabSize) throws IOException {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("gguf export needs the model's tokenizer.json, which " + folder
                    + " does not have (llama.cpp keeps the vocabulary in the GGUF file)");
        }
        JsonNode tokenizer = JSON.readTree(file.toFile());
        JsonNode model = tokenizer.path("model");
        String type = model.path("type").asText("");
        if (!type.equals("BPE")) {
            throw new IllegalArgumentException("gguf export supports BPE tokenizers (llama.cpp's gpt2 and llama"
                    + " vocabularies); " + file + " has model.type " + (type.isEmpty() ? "(none)" : type));
        }
        Map<Integer, String> tokens;
        Map<Integer, Integer> types;
        if (SentencePieceVocab.isSentencePiece(tokenizer)) {
            Path spModel = folder.resolve("tokenizer.model");
            SentencePieceVocab.Pieces pieces = Files.isRegularFile(spModel)
                    ? SentencePieceVocab.fromModelFile(spModel)
                    : SentencePieceVocab.fromTokenizerJson(tokenizer);
            SentencePieceVocab.addAddedTokens(pieces, tokenizer);
            tokens = pieces.tokens();
            types = pieces.types();
            checkIds(tokens, vocabSize, file);
            float[] scores = new float[vocabSize];
            for (int id = 0; id < vocabSize; id++) {
                scores[id] = pieces.scores().getOrDefault(id, -1000f);
            }
            gguf.put("tokenizer.ggml.model", "llama")
                    .put("tokenizer.ggml.pre", "default")
                    .put("tokenizer.ggml.tokens", tokenList(tokens, vocabSize))
                    .put("tokenizer.ggml.scores", scores)
                    .put("tokenizer.ggml.token_type", typeList(types, vocabSize))
                    .put("tokenizer.ggml.add_space_prefix", pieces.addSpacePrefix());
        } else {
            tokens = new HashMap<>();
            model.path("vocab")
                    .fields()
                    .forEachRemaining(e -> tokens.put(e.getValue().asInt(), e.getKey()));
            types = new HashMap<>();
            tokens.keySet().forEach(id -> types.put(id, NORMAL));
            for (JsonNode added : tokenizer.path("added_tokens")) {
                int id = added.path("id").asInt();
                tokens.put(id, added.path("content").asText());
                types.put(id, added.path("special").asBoolean(false) ? CONTROL : USER_DEFINED);
            }
            checkIds(tokens, vocabSize, file);
            String pre = PRE_TOKENIZERS.get(arch);
            if (pre == null) {
                throw new IllegalArgumentException("gguf export of a " + arch + " model takes a SentencePiece"
                        + " tokenizer; " + file + " is byte-level BPE");
            }
            List<String> merges = new ArrayList<>();
            for (JsonNode merge : model.path("merges")) {
                // tokenizers writes "a b", or [a, b] since 0.20
                merges.add(
                        merge.isArray()
                                ? merge.get(0).asText() + " " + merge.get(1).asText()
                                : merge.asText());
            }
            gguf.put("tokenizer.ggml.model", "gpt2")
                    .put("tokenizer.ggml.pre", pre)
                    .put("tokenizer.ggml.tokens", tokenList(tokens, vocabSize))
                    .put("tokenizer.ggml.token_type", typeList(types, vocabSize))
                    .put("tokenizer.ggml.merges", merges);
        }

        Map<String, Integer> ids = new HashMap<>();
        for (int id = 0; id < vocabSize; id++) {
            String token = tokens.get(id);
            if (token != null) {
                ids.putIfAbsent(token, id);
            }
        }
        Path configFile = folder.resolve("tokenizer_config.json");
        JsonNode config =
                Files.isRegularFile(configFile) ? JSON.readTree(configFile.toFile()) : JSON.createObjectNode();
        putSpecial(gguf, "bos", config.path("bos_token"), ids);
        putSpecial(gguf, "eos", config.path("eos_token"), ids);
        putSpecial(gguf, "padding", config.path("pad_token"), ids);
        putSpecial(gguf, "unknown", config.path("unk_token"), ids);
        gguf.put("tokenizer.ggml.add_bos_token", config.path("add_bos_token").asBoolean(false));
        if (config.has("add_eos_token")) {
            gguf.put(
                    "tokenizer.ggml.add_eos_token", config.path("add_eos_token").asBoolean(false));
        }
        if (config.path("chat_template").isTextual()) {
            gguf.put("tokenizer.chat_template", config.path("chat_template").asText());
        }
    }

    private static void checkIds(Map<Integer, String> tokens, int vocabSize, Path file) {
        int maxId = tokens.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) {
            throw new IllegalArgumentException(
                    file + " has token id " + maxId + " but config.json's vocab_size is " + vocabSize);
        }
    }

    private static List<String> tokenList(Map<Integer, String> tokens, int vocabSize) {
        List<String> list = new ArrayList<>(vocabSize);
        for (int id = 0; id < vocabSize; id++) {
            list.add(tokens.getOrDefault(id, "[PAD" + id + "]"));
        }
        return list;
    }

    private static int[] typeList(Map<Integer, Integer> types, int vocabSize) {
        int[] list = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            list[id] = types.getOrDefault(id, UNUSED);
        }
        return list;
    }

    /** {@code tokenizer.ggml.KIND_token_id} for a special token given as a string or as {@code {"content": ...}}. */
    private static void putSpecial(GgufWriter gguf, String kind, JsonNode token, Map<String, Integer> ids) {
        String content = token.isObject() ? token.path("content").asText(null) : token.asText(null);
        Integer id = content == null ? null : ids.get(content);
        if (id != null) {
            gguf.put("tokenizer.ggml." + kind + "_token_id", id);
        }
    }
}
