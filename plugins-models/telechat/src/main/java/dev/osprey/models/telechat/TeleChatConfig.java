package dev.osprey.models.telechat;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.NormFactory;
import dev.osprey.model.spi.RotaryEmbedding;

/**
 * The config.json of TeleChat and TeleChat2, in either spelling ({@code n_layer} / {@code num_hidden_layers},
 * {@code n_head} / {@code num_attention_heads}, {@code ffn_hidden_size} / {@code intermediate_size},
 * {@code layer_norm_epsilon} / {@code rms_norm_eps}).
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}
 * @param layers {@code n_layer}
 * @param heads {@code n_head}
 * @param kvHeads {@code num_key_value_heads}, default heads
 * @param headDim hidden / heads
 * @param ffnWidth {@code ffn_hidden_size}
 * @param eps {@code layer_norm_epsilon}
 * @param rope the rotary embedding
 * @param tieWordEmbeddings {@code tie_word_embeddings}
 * @param initStd {@code initializer_range}
 */
record TeleChatConfig(
        int vocabSize,
        int hiddenSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnWidth,
        double eps,
        RotaryEmbedding rope,
        boolean tieWordEmbeddings,
        double initStd) {

    /** TeleChat's module names. */
    static final CheckpointKeys KEYS = new CheckpointKeys(
            "transformer.word_embeddings",
            "transformer.h",
            "transformer.ln_f",
            "lm_head",
            "input_layernorm",
            "self_attention",
            "post_attention_layernorm",
            "mlp");

    /** The rotary base TeleChat's code starts from. */
    static final double ROPE_BASE = 10000.0;

    /**
     * The rotary embedding is transformers' from {@code rope_theta} / {@code rope_scaling} / {@code rope_parameters}
     * when the config has one of them (TeleChat2's transformers-style code), else TeleChat's own
     * ({@link #ntkRope}).
     *
     * @param tieDefault the default of {@code tie_word_embeddings} (transformers' PretrainedConfig: true, for
     *        TeleChat's own config class; LlamaConfig's false for TeleChat2's)
     */
    static TeleChatConfig from(ModelConfig c, boolean tieDefault) {
        if (c.getBoolean(false, "apply_residual_connection_post_layernorm")) {
            throw new IllegalArgumentException(c.source() + ": apply_residual_connection_post_layernorm true (the"
                    + " residual taken after the norm) is not supported; released TeleChat models have it false");
        }
        if (c.getBoolean(false, "embed_layernorm")) {
            throw new IllegalArgumentException(c.source() + ": embed_layernorm true (a norm on the embeddings) is"
                    + " not supported; released TeleChat models have it false");
        }
        int hidden = c.requireInt("hidden_size");
        int heads = positive(c, "n_head", c.requireInt("n_head", "num_attention_heads"));
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(
                    c.source() + ": hidden_size (" + hidden + ") must be a multiple of n_head (" + heads + ")");
        }
        int headDim = hidden / heads;
        int kvHeads = positive(c, "num_key_value_heads", c.getInt(heads, "num_key_value_heads"));
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(c.source() + ": n_head (" + heads
                    + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        return new TeleChatConfig(
                c.requireInt("vocab_size"),
                hidden,
                c.requireInt("n_layer", "num_hidden_layers"),
                heads,
                kvHeads,
                headDim,
                positive(c, "ffn_hidden_size", c.requireInt("ffn_hidden_size", "intermediate_size")),
                c.getDouble(1e-5, "layer_norm_epsilon", "rms_norm_eps"),
                c.get("rope_theta").isPresent()
                                || c.get("rope_scaling").isPresent()
                                || c.get("rope_parameters").isPresent()
                        ? Blocks.rope(c, headDim)
                        : ntkRope(c, headDim),
                c.getBoolean(tieDefault, "tie_word_embeddings"),
                c.getDouble(0.02, "initializer_range"));
    }

    /** TeleChat-7B's vocabulary: its code, unlike TeleChat-12B's, divides by a base_seqlen of 4096. */
    static final int TELECHAT_7B_VOCAB = 160256;

    /**
     * TeleChat's RotaryEmbedding up to {@code training_seqlen} tokens: base 10000 · α^(D / (D − 2)) with
     * α = max(2^⌈log2(training_seqlen / base_seqlen) + 1⌉ − 1, 1). Where the config has no {@code base_seqlen}, it
     * is the constant of the checkpoint's code: 4096 in TeleChat-7B's (told by its vocabulary of 160256, as the
     * Baichuan family is told by its own), 8192 in TeleChat-12B's. Beyond {@code training_seqlen} its code grows
     * α with the length and scales cos and sin; that is not applied.
     */
    static RotaryEmbedding ntkRope(ModelConfig c, int headDim) {
        int training = positive(c, "training_seqlen", c.getInt(8192, "training_seqlen"));
        int codeDefault = c.getInt(0, "vocab_size") == TELECHAT_7B_VOCAB ? 4096 : 8192;
        int base = positive(c, "base_seqlen", c.getInt(codeDefault, "base_seqlen"));
        return Blocks.plainRope(ntkBase(training, base, headDim), headDim, training);
    }

    /** The base TeleChat's code rotates with at up to {@code training} tokens. */
    static double ntkBase(int training, int baseSeqlen, int headDim) {
        double context = Math.log((double) training / baseSeqlen) / Math.log(2) + 1;
        double alpha = Math.max(Math.pow(2, Math.ceil(context)) - 1, 1);
        return ROPE_BASE * Math.pow(alpha, headDim / (headDim - 2.0));
    }

    private static int positive(ModelConfig c, String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(c.source() + ": " + field + " must be positive, was " + value);
        }
        return value;
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
                rope,
                0,
                KEYS,
                norm,
                (parameters, module, layer, hidden) ->
                        new TeleChatAttention(parameters, module, hidden, heads, kvHeads, headDim),
                norm,
                (parameters, module, layer, hidden) -> new TeleChatMlp(parameters, module, hidden, ffnWidth),
                norm);
    }
}
