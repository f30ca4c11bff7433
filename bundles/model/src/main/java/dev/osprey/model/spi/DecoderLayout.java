package dev.osprey.model.spi;

/**
 * A decoder-only model as a family composes it: token embeddings, {@code layers} pre-norm layers
 * ({@code h += attention(inputNorm(h)); h += feedForward(postAttentionNorm(h))}), a final norm and an output
 * head, each block made by the factory given here and named by {@link CheckpointKeys}.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size} (H)
 * @param layers {@code num_hidden_layers}
 * @param initStd the standard deviation of freshly initialised weights ({@code initializer_range})
 * @param tieWordEmbeddings the output head reuses the embedding table
 * @param embeddingScale what the embeddings are multiplied by (sqrt(H) for Gemma, else 1)
 * @param rope the rotary embedding {@link AttentionContext#rotate} applies, or null for none
 * @param slidingWindow each token attends to at most this many tokens (itself included); 0 for no limit
 * @param keys the checkpoint names of the blocks
 * @param inputNorm the norm before attention
 * @param attention the attention block
 * @param postAttentionNorm the norm before the feed-forward block
 * @param feedForward the feed-forward block
 * @param finalNorm the norm after the last layer
 */
public record DecoderLayout(
        int vocabSize,
        int hiddenSize,
        int layers,
        double initStd,
        boolean tieWordEmbeddings,
        double embeddingScale,
        RotaryEmbedding rope,
        int slidingWindow,
        CheckpointKeys keys,
        NormFactory inputNorm,
        AttentionFactory attention,
        NormFactory postAttentionNorm,
        FeedForwardFactory feedForward,
        NormFactory finalNorm) {

    public DecoderLayout {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", layers);
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding_window must not be negative, was " + slidingWindow);
        }
        if (keys == null
                || inputNorm == null
                || attention == null
                || postAttentionNorm == null
                || feedForward == null
                || finalNorm == null) {
            throw new IllegalArgumentException(
                    "a decoder layout needs its checkpoint keys and a factory for every block");
        }
    }

    /** This layout with every norm (input, post-attention, final) of kind {@code norm}. */
    public DecoderLayout withNorms(NormFactory norm) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                rope,
                slidingWindow,
                keys,
                norm,
                attention,
                norm,
                feedForward,
                norm);
    }

    /** This layout with another attention block. */
    public DecoderLayout withAttention(AttentionFactory kind) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                rope,
                slidingWindow,
                keys,
                inputNorm,
                kind,
                postAttentionNorm,
                feedForward,
                finalNorm);
    }

    /** This layout with another feed-forward block. */
    public DecoderLayout withFeedForward(FeedForwardFactory kind) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                rope,
                slidingWindow,
                keys,
                inputNorm,
                attention,
                postAttentionNorm,
                kind,
                finalNorm);
    }

    /** This layout with its blocks under other checkpoint names. */
    public DecoderLayout withKeys(CheckpointKeys names) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                rope,
                slidingWindow,
                names,
                inputNorm,
                attention,
                postAttentionNorm,
                feedForward,
                finalNorm);
    }

    /** This layout with embeddings multiplied by {@code scale}. */
    public DecoderLayout withEmbeddingScale(double scale) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                scale,
                rope,
                slidingWindow,
                keys,
                inputNorm,
                attention,
                postAttentionNorm,
                feedForward,
                finalNorm);
    }

    /** This layout with attention limited to the last {@code window} tokens (0: no limit). */
    public DecoderLayout withSlidingWindow(int window) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                rope,
                window,
                keys,
                inputNorm,
                attention,
                postAttentionNorm,
                feedForward,
                finalNorm);
    }

    /** This layout with another rotary embedding, or none (null). */
    public DecoderLayout withRope(RotaryEmbedding kind) {
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                embeddingScale,
                kind,
                slidingWindow,
                keys,
                inputNorm,
                attention,
                postAttentionNorm,
                feedForward,
                finalNorm);
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("config field '" + field + "' must be positive, was " + value);
        }
    }
}
