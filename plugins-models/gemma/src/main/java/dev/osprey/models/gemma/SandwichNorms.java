package dev.osprey.models.gemma;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.CheckpointKeys;
import dev.osprey.model.spi.DecoderLayout;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;

/**
 * Gemma 2's and Gemma 3's layer: each block normed before and after, the residual added after both,
 * {@code h += postAttentionNorm(attention(inputNorm(h))); h += postFeedForwardNorm(mlp(preFeedForwardNorm(h)))}.
 * The decoder norms before each block itself; the norm after it is part of the block here, declared under
 * the layer as the checkpoint names it ({@code model.layers.N.post_attention_layernorm}).
 */
final class SandwichNorms {

    /** Gemma 2's names: the decoder's post-attention norm is the one before the MLP. */
    static final CheckpointKeys KEYS = new CheckpointKeys(
            "model.embed_tokens",
            "model.layers",
            "model.norm",
            "lm_head",
            "input_layernorm",
            "self_attn",
            "pre_feedforward_layernorm",
            "mlp");

    static final String POST_ATTENTION_NORM = "post_attention_layernorm";
    static final String POST_FEED_FORWARD_NORM = "post_feedforward_layernorm";

    private SandwichNorms() {}

    /** {@code layout} with a norm after its attention and its feed-forward block, and Gemma 2's checkpoint keys. */
    static DecoderLayout around(DecoderLayout layout, NormFactory norm) {
        return layout.withKeys(KEYS)
                .withAttention(normedAttention(layout.attention(), norm))
                .withFeedForward(normedFeedForward(layout.feedForward(), norm));
    }

    private static AttentionFactory normedAttention(AttentionFactory attention, NormFactory norm) {
        return (parameters, module, layer, hidden) -> {
            Attention inner = attention.create(parameters, module, layer, hidden);
            Norm after = norm.create(parameters, sibling(module, POST_ATTENTION_NORM), hidden);
            return (x, context) -> after.forward(inner.forward(x, context)); // (B, T, H)
        };
    }

    private static FeedForwardFactory normedFeedForward(FeedForwardFactory feedForward, NormFactory norm) {
        return (parameters, module, layer, hidden) -> {
            FeedForward inner = feedForward.create(parameters, module, layer, hidden);
            Norm after = norm.create(parameters, sibling(module, POST_FEED_FORWARD_NORM), hidden);
            return (x, adapter) -> after.forward(inner.forward(x, adapter)); // (B, T, H)
        };
    }

    /** {@code model.layers.0.self_attn} and {@code post_attention_layernorm} to {@code model.layers.0.post_attention_layernorm}. */
    private static String sibling(String module, String name) {
        return module.substring(0, module.lastIndexOf('.') + 1) + name;
    }
}
