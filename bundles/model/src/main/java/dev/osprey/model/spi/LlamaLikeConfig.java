package dev.osprey.model.spi;

import dev.osprey.api.model.ModelConfig;

/**
 * The config.json fields every Llama-like family shares, read with Hugging Face's defaults and both
 * spellings found in the wild. A family reads its own fields beside them and composes a {@link DecoderLayout}.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size}
 * @param layers {@code num_hidden_layers}
 * @param heads {@code num_attention_heads}
 * @param kvHeads {@code num_key_value_heads}, default heads
 * @param headDim {@code head_dim}, default hidden / heads
 * @param rmsEps {@code rms_norm_eps} (or {@code layer_norm_epsilon})
 * @param rope from {@code rope_theta} / {@code rope_scaling} / {@code rope_parameters}
 * @param tieWordEmbeddings {@code tie_word_embeddings}
 * @param activation {@code hidden_act} (or {@code hidden_activation})
 * @param initStd {@code initializer_range}
 */
public record LlamaLikeConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        double rmsEps,
        RotaryEmbedding rope,
        boolean tieWordEmbeddings,
        String activation,
        double initStd) {

    /**
     * @param tieDefault the family's default for {@code tie_word_embeddings}
     * @param actDefault the family's default activation
     * @throws IllegalArgumentException naming the missing field and the config file
     */
    public static LlamaLikeConfig read(ModelConfig c, boolean tieDefault, String actDefault) {
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (hidden % heads != 0 && c.get("head_dim").isEmpty()) {
            throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden + ") is not a multiple of"
                    + " num_attention_heads (" + heads + ") and head_dim is not given");
        }
        int headDim = c.getInt(hidden / heads, "head_dim");
        return new LlamaLikeConfig(
                c.requireInt("vocab_size"),
                hidden,
                c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"),
                heads,
                c.getInt(heads, "num_key_value_heads"),
                headDim,
                c.getDouble(1e-6, "rms_norm_eps", "layer_norm_epsilon"),
                Blocks.rope(c, headDim),
                c.getBoolean(tieDefault, "tie_word_embeddings"),
                c.getString("hidden_activation", "hidden_act").orElse(actDefault),
                c.getDouble(0.02, "initializer_range"));
    }

    /** This config with another {@code rms_norm_eps}: a family whose default differs from Llama's sets its own. */
    public LlamaLikeConfig withRmsEps(double eps) {
        return new LlamaLikeConfig(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                eps,
                rope,
                tieWordEmbeddings,
                activation,
                initStd);
    }

    /** This config's attention heads, with or without biases, no q/k norms. */
    public AttentionSpec attention(boolean qkvBias, boolean outputBias) {
        return new AttentionSpec(heads, kvHeads, headDim, qkvBias, outputBias, false, null);
    }

    /** The gated MLP of {@code intermediate_size} and {@code hidden_act}, separate gate and up projections. */
    public FeedForwardFactory gatedMlp(boolean bias) {
        return Blocks.gatedMlp(intermediateSize, bias, false, activation);
    }

    /** RMSNorm with this config's epsilon, scaling by its weight. */
    public NormFactory rmsNorm() {
        return Blocks.rmsNorm(rmsEps, 0f);
    }

    /**
     * Llama's layout with this config's shape and the given attention and feed-forward blocks: RMSNorms,
     * unscaled embeddings, no sliding window, Llama's checkpoint keys; the {@code with...} methods vary it.
     */
    public DecoderLayout layout(AttentionFactory attention, FeedForwardFactory feedForward) {
        NormFactory norm = rmsNorm();
        return new DecoderLayout(
                vocabSize,
                hiddenSize,
                layers,
                initStd,
                tieWordEmbeddings,
                1.0,
                rope,
                0,
                CheckpointKeys.LLAMA,
                norm,
                attention,
                norm,
                feedForward,
                norm);
    }
}
