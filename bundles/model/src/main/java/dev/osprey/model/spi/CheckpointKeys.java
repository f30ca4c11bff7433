package dev.osprey.model.spi;

/**
 * Where the blocks of a decoder live in a checkpoint: the module names the model declares its parameters
 * under, so a Hugging Face checkpoint loads by name. Layer {@code i}'s blocks are
 * {@code LAYERS.i.INPUT_NORM}, {@code LAYERS.i.ATTENTION}, {@code LAYERS.i.POST_ATTENTION_NORM} and
 * {@code LAYERS.i.FEED_FORWARD}.
 *
 * @param embedTokens the token embedding module ({@code model.embed_tokens}; its table is {@code .weight})
 * @param layers the prefix of the numbered layers ({@code model.layers})
 * @param finalNorm the norm after the last layer ({@code model.norm})
 * @param lmHead the output projection ({@code lm_head}), absent from the checkpoint when tied
 * @param inputNorm the norm before attention, under a layer ({@code input_layernorm})
 * @param attention the attention block, under a layer ({@code self_attn})
 * @param postAttentionNorm the norm before the feed-forward block, under a layer ({@code post_attention_layernorm})
 * @param feedForward the feed-forward block, under a layer ({@code mlp}; Mixtral's experts: {@code block_sparse_moe})
 */
public record CheckpointKeys(
        String embedTokens,
        String layers,
        String finalNorm,
        String lmHead,
        String inputNorm,
        String attention,
        String postAttentionNorm,
        String feedForward) {

    /** The names of Llama and most of its relatives. */
    public static final CheckpointKeys LLAMA = new CheckpointKeys(
            "model.embed_tokens",
            "model.layers",
            "model.norm",
            "lm_head",
            "input_layernorm",
            "self_attn",
            "post_attention_layernorm",
            "mlp");

    /** These keys with the feed-forward block under another name (e.g. {@code block_sparse_moe}). */
    public CheckpointKeys withFeedForward(String name) {
        return new CheckpointKeys(
                embedTokens, layers, finalNorm, lmHead, inputNorm, attention, postAttentionNorm, name);
    }
}
