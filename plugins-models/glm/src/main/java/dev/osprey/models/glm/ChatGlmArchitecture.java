package dev.osprey.models.glm;

import java.util.Set;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.osprey.api.engine.EngineRuntime;
import dev.osprey.api.model.ModelArchitecture;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderFamily;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.InterleavedRope;
import dev.osprey.model.spi.NormFactory;

/**
 * ChatGLM2, ChatGLM3 and GLM-4-9B ({@code ChatGLMModel} / {@code ChatGLMForConditionalGeneration}, model_type
 * {@code chatglm}; remote code on the Hub, ported to transformers as {@code GlmForCausalLM}): a pre-norm decoder
 * with RMSNorm, grouped-query attention from one {@code query_key_value} ({@link ChatGlmAttention}), GLM's
 * interleaved rotary embedding over the first half of each head with base {@code 10000 · rope_ratio}, and a SwiGLU
 * from one {@code dense_h_to_4h} ({@link ChatGlmMlp}), under {@code transformer.embedding / encoder /
 * output_layer}.
 *
 * <p>ChatGLM2-6B-32K's own code divides the positions by {@code rope_ratio} instead of scaling the base; its
 * config cannot be told from ChatGLM3's, so it is not in the registry.
 */
@Component(service = ModelArchitecture.class)
public class ChatGlmArchitecture extends DecoderFamily {

    /** ChatGLM's module names. */
    static final CheckpointKeys KEYS = new CheckpointKeys(
            "transformer.embedding.word_embeddings",
            "transformer.encoder.layers",
            "transformer.encoder.final_layernorm",
            "transformer.output_layer",
            "input_layernorm",
            "self_attention",
            "post_attention_layernorm",
            "mlp");

    /** ChatGLM's base of the rotary frequencies, before {@code rope_ratio}. */
    static final double ROPE_BASE = 10000.0;

    /** Started after the engine, which fixes DJL's engine for the JVM. */
    @Reference
    EngineRuntime engine;

    /**
     * The config.json of ChatGLM.
     *
     * @param vocabSize {@code padded_vocab_size} (or {@code vocab_size})
     * @param hiddenSize {@code hidden_size}
     * @param layers {@code num_layers}
     * @param heads {@code num_attention_heads}
     * @param groups {@code multi_query_group_num} with {@code multi_query_attention}, else heads
     * @param headDim {@code kv_channels}, default hidden / heads
     * @param ffnWidth {@code ffn_hidden_size}
     * @param eps {@code layernorm_epsilon}
     * @param qkvBias {@code add_qkv_bias}
     * @param linearBias {@code add_bias_linear}: biases on dense and the MLP
     * @param ropeRatio {@code rope_ratio}: the rotary base is 10000 times it
     * @param maxPositions {@code seq_length}
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param initStd {@code initializer_range}
     */
    record ChatGlmConfig(
            int vocabSize,
            int hiddenSize,
            int layers,
            int heads,
            int groups,
            int headDim,
            int ffnWidth,
            double eps,
            boolean qkvBias,
            boolean linearBias,
            double ropeRatio,
            int maxPositions,
            boolean tieWordEmbeddings,
            double initStd) {

        static ChatGlmConfig from(ModelConfig c) {
            require(c, "rmsnorm", true, "ChatGLM with LayerNorm");
            require(c, "post_layer_norm", true, "ChatGLM without a final norm");
            require(c, "apply_residual_connection_post_layernorm", false, "residuals taken after the norm");
            int hidden = c.requireInt("hidden_size");
            int heads = positive(c, "num_attention_heads", c.requireInt("num_attention_heads"));
            int headDim = positive(c, "kv_channels", c.getInt(hidden / heads, "kv_channels"));
            if (headDim % 4 != 0) {
                throw new IllegalArgumentException(c.source() + ": kv_channels must be a multiple of 4 (half of each"
                        + " head rotates in pairs), was " + headDim);
            }
            int groups = c.getBoolean(false, "multi_query_attention")
                    ? positive(c, "multi_query_group_num", c.getInt(1, "multi_query_group_num"))
                    : heads;
            if (heads % groups != 0) {
                throw new IllegalArgumentException(c.source() + ": num_attention_heads (" + heads
                        + ") must be a multiple of multi_query_group_num (" + groups + ")");
            }
            double ratio = c.getDouble(1.0, "rope_ratio");
            if (!(ratio > 0)) {
                throw new IllegalArgumentException(c.source() + ": rope_ratio must be positive, was " + ratio);
            }
            return new ChatGlmConfig(
                    c.requireInt("padded_vocab_size", "vocab_size"),
                    hidden,
                    c.requireInt("num_layers", "num_hidden_layers"),
                    heads,
                    groups,
                    headDim,
                    positive(c, "ffn_hidden_size", c.requireInt("ffn_hidden_size")),
                    c.getDouble(1e-5, "layernorm_epsilon"),
                    c.getBoolean(false, "add_qkv_bias"),
                    c.getBoolean(false, "add_bias_linear"),
                    ratio,
                    c.getInt(2048, "seq_length"),
                    c.getBoolean(false, "tie_word_embeddings"),
                    c.getDouble(0.02, "initializer_range"));
        }

        private static void require(ModelConfig c, String field, boolean expected, String what) {
            if (c.getBoolean(expected, field) != expected) {
                throw new IllegalArgumentException(c.source() + ": " + field + " " + !expected + " (" + what
                        + ") is not supported; released ChatGLM models have " + field + " " + expected);
            }
        }

        private static int positive(ModelConfig c, String field, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(c.source() + ": " + field + " must be positive, was " + value);
            }
            return value;
        }

        /** GLM's interleaved pairs over the first half of each head, base 10000 · rope_ratio. */
        InterleavedRope rope() {
            int dim = headDim / 2;
            return new InterleavedRope(Blocks.plainRope(ROPE_BASE * ropeRatio, dim, maxPositions), dim);
        }

        DecoderLayout layout() {
            NormFactory norm = Blocks.rmsNorm(eps, 0f);
            return new DecoderLayout(
                    vocabSize,
                    hiddenSize,
                    layers,
                    initStd,
                    tieWordEmbeddings,
                    1.0,
                    rope(),
                    0,
                    KEYS,
                    norm,
                    (parameters, module, layer, hidden) -> new ChatGlmAttention(
                            parameters, module, hidden, heads, groups, headDim, qkvBias, linearBias),
                    norm,
                    (parameters, module, layer, hidden) ->
                            new ChatGlmMlp(parameters, module, hidden, ffnWidth, linearBias),
                    norm);
        }
    }

    @Override
    public String name() {
        return "chatglm";
    }

    @Override
    public String description() {
        return "ChatGLM2-6B, ChatGLM3-6B, CodeGeeX2 and GLM-4-9B (chat, 1M, LongWriter) in their own format";
    }

    @Override
    public Set<String> architectures() {
        return Set.of("ChatGLMModel", "ChatGLMForConditionalGeneration");
    }

    @Override
    public Set<String> linearModules() {
        return Set.of("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h");
    }

    @Override
    public DecoderLayout layout(ModelConfig config) {
        return ChatGlmConfig.from(config).layout();
    }
}
