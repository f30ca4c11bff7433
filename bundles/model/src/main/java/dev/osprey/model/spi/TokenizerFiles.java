package dev.osprey.model.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/**
 * Token ids a multimodal family's processor needs beside the ones its config names ({@code <img>}, Gemma's
 * {@code "\n\n"}), read from a model folder's tokenizer files as Hugging Face's tokenizer would find them: the added
 * tokens ({@code added_tokens.json}, {@code tokenizer_config.json}'s {@code added_tokens_decoder},
 * {@code tokenizer.json}'s {@code added_tokens}), then {@code tokenizer.json}'s vocabulary (a map of BPE or word
 * level, or Unigram's list of [piece, score]).
 */
public final class TokenizerFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    /**
     * The id of {@code token} in the folder's tokenizer files, or empty when none of them holds it.
     *
     * @throws IllegalArgumentException naming the file when one of them cannot be read
     */
    public static OptionalLong id(Path folder, String token) {
        JsonNode added = read(folder.resolve("added_tokens.json"));
        if (added != null && added.path(token).isIntegralNumber()) {
            return OptionalLong.of(added.get(token).asLong());
        }
        JsonNode config = read(folder.resolve("tokenizer_config.json"));
        if (config != null) {
            var decoder = config.path("added_tokens_decoder").fields();
            while (decoder.hasNext()) {
                var e = decoder.next();
                if (token.equals(e.getValue().path("content").asText(null))) {
                    return OptionalLong.of(Long.parseLong(e.getKey()));
                }
            }
        }
        JsonNode tokenizer = read(folder.resolve("tokenizer.json"));
        if (tokenizer == null) {
            return OptionalLong.empty();
        }
        for (JsonNode t : tokenizer.path("added_tokens")) {
            if (token.equals(t.path("content").asText(null)) && t.path("id").isIntegralNumber()) {
                return OptionalLong.of(t.get("id").asLong());
            }
        }
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.isObject() && vocab.path(token).isIntegralNumber()) {
            return OptionalLong.of(vocab.get(token).asLong());
        }
        if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                if (token.equals(vocab.get(i).path(0).asText(null))) {
                    return OptionalLong.of(i);
                }
            }
        }
        return OptionalLong.empty();
    }

    /**
     * The id of {@code token}, which the model needs.
     *
     * @param what what the token is for, for the message
     * @throws IllegalArgumentException naming the folder and the files when none holds it
     */
    public static long require(Path folder, String token, String what) {
        return id(folder, token)
                .orElseThrow(() -> new IllegalArgumentException(folder + ": the id of " + what + " '"
                        + token.replace("\n", "\\n") + "' is in none of added_tokens.json, tokenizer_config.json"
                        + " (added_tokens_decoder), tokenizer.json (added_tokens, model.vocab)"));
    }

    /**
     * The ids of {@code text} in the folder's {@code tokenizer.json}, special tokens recognised and none added: a
     * processor's own words (Gemma 3's "Here is the original image" before pan-and-scan crops), spliced in as tokens.
     *
     * @param what what the text is for, for the message
     * @throws IllegalArgumentException naming the file when it is missing or cannot be read
     */
    public static int[] encode(Path folder, String text, String what) {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": missing, needed to encode " + what);
        }
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            return Arrays.stream(tokenizer.encode(text).getIds())
                    .mapToInt(Math::toIntExact)
                    .toArray();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot encode " + what + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the tokenizer's tokens: " + e.getMessage(), e);
        }
    }
}
