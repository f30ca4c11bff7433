package com.example.osprey.gpt;

import java.util.Set;

import dev.osprey.api.model.ModelConfig;

/**
 * The config.json of gpt2, with transformers' defaults and both spellings of the sizes ({@code n_embd} or
 * {@code hidden_size}, ...).
 *
 * @param vocabSize {@code vocab_size}
 * @param hidden {@code n_embd}
 * @param layers {@code n_layer}
 * @param heads {@code n_head}
 * @param positions {@code n_positions}: the learned position table's length
 * @param inner the MLP width ({@code n_inner}, 4 × n_embd when null)
 * @param eps {@code layer_norm_epsilon}
 * @param activation {@code activation_function}: gelu_new (tanh approximation), gelu_pytorch_tanh or gelu
 * @param initStd {@code initializer_range}
 * @param tiedHead {@code tie_word_embeddings}: the head is the token table (GPT-2's checkpoints have no lm_head)
 * @param scaleByLayer {@code scale_attn_by_inverse_layer_idx}: scores also divided by layer index + 1
 */
record GptConfig(
        int vocabSize,
        int hidden,
        int layers,
        int heads,
        int positions,
        int inner,
        double eps,
        String activation,
        double initStd,
        boolean tiedHead,
        boolean scaleByLayer) {

    static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh", "gelu");

    /** @throws IllegalArgumentException naming the field and the file at fault */
    static GptConfig from(ModelConfig c) {
        int hidden = c.requireInt("n_embd", "hidden_size");
        int heads = c.requireInt("n_head", "num_attention_heads");
        if (hidden <= 0 || heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException(
                    c.source() + ": n_embd " + hidden + " must be a positive multiple of n_head " + heads);
        }
        String activation = c.getString("activation_function").orElse("gelu_new");
        if (!ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException(c.source() + ": activation_function '" + activation
                    + "' is not supported; supported: " + ACTIVATIONS);
        }
        if (c.getBoolean(false, "add_cross_attention")) {
            throw new IllegalArgumentException(
                    c.source() + ": add_cross_attention is for encoder-decoder use, which this causal LM lacks");
        }
        if (!c.getBoolean(true, "scale_attn_weights")) {
            throw new IllegalArgumentException(c.source() + ": scale_attn_weights false is not supported");
        }
        // n_inner is null in most configs: 4 × n_embd, as transformers reads it
        int inner =
                c.get("n_inner").filter(Number.class::isInstance).isPresent() ? c.requireInt("n_inner") : 4 * hidden;
        GptConfig config = new GptConfig(
                c.requireInt("vocab_size"),
                hidden,
                c.requireInt("n_layer", "num_hidden_layers"),
                heads,
                c.requireInt("n_positions", "max_position_embeddings"),
                inner,
                c.getDouble(1e-5, "layer_norm_epsilon"),
                activation,
                c.getDouble(0.02, "initializer_range"),
                c.getBoolean(true, "tie_word_embeddings"),
                c.getBoolean(false, "scale_attn_by_inverse_layer_idx"));
        if (config.layers() <= 0 || config.vocabSize() <= 0 || config.positions() <= 0) {
            throw new IllegalArgumentException(c.source() + ": n_layer, vocab_size and n_positions must be positive");
        }
        return config;
    }

    int headDim() {
        return hidden / heads;
    }
}
