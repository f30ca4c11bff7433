package dev.osprey.model.task;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.osprey.api.model.ForwardRequest;
import dev.osprey.model.decoder.DecoderModel;
import dev.osprey.model.nn.Pooling;

/**
 * A decoder read as an embedding model, as Qwen3-Embedding and GTE-Qwen2 are: the final hidden states pooled
 * (the last real token by default, or the mean) and L2-normalised.
 *
 * @param adapter the LoRA adapter to run through, or null
 */
public record Embedder(DecoderModel decoder, Pooling pooling, String adapter) {

    /**
     * The embeddings of a padded batch (B, H), float32, each of norm 1.
     *
     * @param training a training pass (gradients kept, dropout on)
     */
    public NDArray embed(NDArray inputIds, NDArray attentionMask, boolean training) {
        NDArray h = decoder.hiddenStates(ForwardRequest.builder(inputIds)
                .optAttentionMask(attentionMask)
                .optAdapter(adapter)
                .optTraining(training)
                .build()); // (B, T, H)
        return Pooling.normalize(pooling.pool(h, attentionMask).toType(DataType.FLOAT32, false)); // (B, H)
    }

    /**
     * The first {@code dimensions} components of normalised embeddings, normalised again: Matryoshka
     * truncation, as Sentence-Transformers' {@code truncate_dim} and OpenAI's {@code dimensions}. (B, D)
     */
    public static NDArray truncate(NDArray embeddings, int dimensions) {
        return Pooling.normalize(embeddings.get(":, 0:" + dimensions)); // (B, D)
    }

    /**
     * A text as an embedding model reads it: tokenized with the special tokens its tokenizer.json adds
     * (Qwen3-Embedding's appends {@code <|endoftext|>}, whose state is the embedding), as Sentence-Transformers
     * and vLLM tokenize.
     */
    public static int[] tokenize(HuggingFaceTokenizer tokenizer, String text) {
        long[] ids = tokenizer.encode(text, true, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }
}
