package dev.osprey.models.impl;

import java.util.Arrays;
import java.util.OptionalInt;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.osprey.api.model.TextTokenizer;
import dev.osprey.chat.ChatEncoder;

/** tokenizer.json as the API's {@link TextTokenizer}: encoding as the chat encoder tokenizes a text segment. */
final class HfTextTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer tokenizer;
    private final ChatEncoder encoder;

    HfTextTokenizer(HuggingFaceTokenizer tokenizer, ChatEncoder encoder) {
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    @Override
    public int[] encode(String text) {
        return encoder.tokenize(text);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
    }

    @Override
    public OptionalInt tokenId(String token) {
        int[] ids = encoder.tokenize(token);
        return ids.length == 1 ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }
}
