package dev.osprey.models.ernie;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.InterleavedRope;
import dev.osprey.model.spi.LlamaLikeConfig;

/**
 * The fields ERNIE 4.5's dense and MoE models share: Llama's, with {@code use_bias} on q, k, v, o and the MLP,
 * RMSNorm epsilon 1e-5 and tied embeddings by default, and RoPE over neighbouring pairs.
 *
 * @param common the fields every Llama-like model shares
 * @param bias {@code use_bias}
 */
record ErnieConfig(LlamaLikeConfig common, boolean bias) {

    /** ERNIE 4.5's default {@code rms_norm_eps}. */
    static final double DEFAULT_RMS_EPS = 1e-5;

    /**
     * @param headDimDefault {@code head_dim} when the config has none: 128 for the dense model (its config
     *        class's default), hidden / heads (0) for the MoE (whose config class has no such field)
     */
    static ErnieConfig from(ModelConfig c, int headDimDefault) {
        LlamaLikeConfig read = LlamaLikeConfig.read(c, true, "silu");
        if (c.get("rms_norm_eps").isEmpty()) {
            read = read.withRmsEps(DEFAULT_RMS_EPS);
        }
        if (headDimDefault > 0 && c.get("head_dim").isEmpty()) {
            read = new LlamaLikeConfig(
                    read.vocabSize(),
                    read.hiddenSize(),
                    read.intermediateSize(),
                    read.layers(),
                    read.heads(),
                    read.kvHeads(),
                    headDimDefault,
                    read.rmsEps(),
                    Blocks.rope(c, headDimDefault),
                    read.tieWordEmbeddings(),
                    read.activation(),
                    read.initStd());
        }
        return new ErnieConfig(read, c.getBoolean(false, "use_bias"));
    }

    /** Llama's layout with ERNIE's biases, the given feed-forward blocks and the interleaved rotary embedding. */
    DecoderLayout layout(FeedForwardFactory feedForward) {
        return common.layout(Blocks.attention(common.attention(bias, bias)), feedForward)
                .withRope(new InterleavedRope(common.rope(), common.headDim()));
    }

    /** The dense gated MLP of {@code intermediate_size}, biased when {@code use_bias}. */
    FeedForwardFactory denseMlp() {
        return common.gatedMlp(bias);
    }
}
