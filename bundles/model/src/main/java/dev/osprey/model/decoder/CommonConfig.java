package dev.osprey.model.decoder;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.nn.Rope;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * The config.json fields every Llama-like architecture shares, read with Hugging Face's defaults and
 * both spellings found in the wild (as the SPI's {@link LlamaLikeConfig} reads them), for
 * building a {@link DecoderSpec}.
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
public record CommonConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        double rmsEps,
        Rope rope,
        boolean tieWordEmbeddings,
        String activation,
        double initStd) {

    /**
     * @param tieDefault the architecture's default for {@code tie_word_embeddings}
     * @param actDefault the architecture's default activation
     * @throws IllegalArgumentException naming the missing field and the config file
     */
    public static CommonConfig read(ModelConfig c, boolean tieDefault, String actDefault) {
        LlamaLikeConfig s = LlamaLikeConfig.read(c, tieDefault, actDefault);
        return new CommonConfig(
                s.vocabSize(),
                s.hiddenSize(),
                s.intermediateSize(),
                s.layers(),
                s.heads(),
                s.kvHeads(),
                s.headDim(),
                s.rmsEps(),
                (Rope) s.rope(),
                s.tieWordEmbeddings(),
                s.activation(),
                s.initStd());
    }

    /**
     * The spec with this config's shape and the given variations.
     *
     * @see DecoderSpec for the meaning of each flag
     */
    public DecoderSpec spec(
            boolean qkvBias,
            boolean outputBias,
            boolean mlpBias,
            boolean qkNorm,
            float normOffset,
            double embeddingScale,
            int slidingWindow) {
        return new DecoderSpec(
                vocabSize,
                hiddenSize,
                intermediateSize,
                layers,
                heads,
                kvHeads,
                headDim,
                rmsEps,
                rope,
                qkvBias,
                outputBias,
                mlpBias,
                qkNorm,
                normOffset,
                embeddingScale,
                activation,
                slidingWindow,
                tieWordEmbeddings,
                initStd,
                false,
                null);
    }
}
