package dev.osprey.model.decoder;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.nn.Rope;

/**
 * The config.json fields every Llama-like architecture shares, read with Hugging Face's defaults and
 * both spellings found in the wild. Architectures add their own fields and build a {@link DecoderSpec}.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size}
 * @param layers {@code num_hidden_layers}
 * @param heads {@code num_attention_heads}
 * @param kvHeads {@code num_key_value_heads}, default heads
 * @param headDim {@code head_dim}, default hidden / heads
 * @param rmsEps {@code rms_norm_eps}
 * @param rope from {@code rope_theta} / {@code rope_scaling} / {@code rope_parameters}
 * @param tieWordEmbeddings {@code tie_word_embeddings}
 * @param activation {@code hidden_act} (or {@code hidden_activation})
 * @param initStd {@code initializer_range}
 */
public record CommonConfig(int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
        int headDim, double rmsEps, Rope rope, boolean tieWordEmbeddings, String activation, double initStd) {

    /**
     * @param tieDefault the architecture's default for {@code tie_word_embeddings}
     * @param actDefault the architecture's default activation
     * @throws IllegalArgumentException naming the missing field and the config file
     */
    public static CommonConfig read(ModelConfig c, boolean tieDefault, String actDefault) {
        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        if (hidden % heads != 0 && c.get("head_dim").isEmpty()) {
            throw new IllegalArgumentException(c.source() + ": hidden_size (" + hidden + ") is not a multiple of"
                    + " num_attention_heads (" + heads + ") and head_dim is not given");
        }
        int headDim = c.getInt(hidden / heads, "head_dim");
        return new CommonConfig(c.requireInt("vocab_size"), hidden, c.requireInt("intermediate_size"),
                c.requireInt("num_hidden_layers"), heads, c.getInt(heads, "num_key_value_heads"), headDim,
                c.getDouble(1e-6, "rms_norm_eps", "layer_norm_epsilon"), Rope.from(c, headDim),
                c.getBoolean(tieDefault, "tie_word_embeddings"),
                c.getString("hidden_activation", "hidden_act").orElse(actDefault), c.getDouble(0.02, "initializer_range"));
    }

    /**
     * The spec with this config's shape and the given variations.
     *
     * @see DecoderSpec for the meaning of each flag
     */
    public DecoderSpec spec(boolean qkvBias, boolean outputBias, boolean mlpBias, boolean qkNorm, float normOffset,
            double embeddingScale, int slidingWindow) {
        return new DecoderSpec(vocabSize, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, rmsEps, rope, qkvBias,
                outputBias, mlpBias, qkNorm, normOffset, embeddingScale, activation, slidingWindow, tieWordEmbeddings, initStd, false,
                null);
    }
}
