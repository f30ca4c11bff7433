package dev.osprey.model.task;

import java.util.Arrays;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/**
 * The tokens a reranker reads for a query and a document, the same in training and serving: Qwen3-Reranker's
 * {@code <Instruct>: ...\n<Query>: ...\n<Document>: ...} between its prompt's prefix and suffix, each part
 * tokenized without special tokens, for a generative reranker; that text tokenized as the model's tokenizer
 * does by default (its special tokens added) for a reranker with a score head.
 */
public final class RerankInput {

    private RerankInput() {}

    /** @param instruction the task instruction, or null for Qwen3-Reranker's default */
    public static int[] ids(
            HuggingFaceTokenizer tokenizer, boolean generative, String instruction, String query, String document) {
        String content = GenerativeReranker.content(instruction, query, document);
        if (!generative) {
            return Embedder.tokenize(tokenizer, content);
        }
        return concat(
                plain(tokenizer, GenerativeReranker.PREFIX),
                plain(tokenizer, content),
                plain(tokenizer, GenerativeReranker.SUFFIX));
    }

    /**
     * The id of a word the tokenizer holds as one token ("yes", "no").
     *
     * @throws IllegalArgumentException when it splits the word
     */
    public static int singleToken(HuggingFaceTokenizer tokenizer, String word, Object folder) {
        int[] ids = plain(tokenizer, word);
        if (ids.length != 1) {
            throw new IllegalArgumentException(folder + ": a generative reranker reads the logit of the token '" + word
                    + "', but the tokenizer splits it into " + ids.length + " tokens");
        }
        return ids[0];
    }

    private static int[] plain(HuggingFaceTokenizer tokenizer, String text) {
        return Arrays.stream(tokenizer.encode(text, false, false).getIds())
                .mapToInt(Math::toIntExact)
                .toArray();
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
