package dev.osprey.models.glm;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.Norm;
import dev.osprey.model.spi.NormFactory;

/**
 * GLM-4's sandwich norms: the output of attention and of the MLP is normed once more before the residual adds
 * it ({@code h += postNorm(block(preNorm(h)))}). The decoder adds the residual, so the post-norm belongs to the
 * block; its weight lives beside the block in the layer ({@code model.layers.N.post_self_attn_layernorm}).
 */
final class SandwichNorms {

    private SandwichNorms() {}

    /**
     * @param inner the attention block
     * @param norm the kind of the post-norm
     * @param name the post-norm's name under the layer ({@code post_self_attn_layernorm})
     */
    static AttentionFactory attention(AttentionFactory inner, NormFactory norm, String name) {
        return (parameters, module, layer, hidden) -> {
            Attention attention = inner.create(parameters, module, layer, hidden);
            Norm post = norm.create(parameters, besides(module, name), hidden);
            return (x, context) -> post.forward(attention.forward(x, context)); // (B, T, H)
        };
    }

    /**
     * @param inner the feed-forward block
     * @param norm the kind of the post-norm
     * @param name the post-norm's name under the layer ({@code post_mlp_layernorm})
     */
    static FeedForwardFactory feedForward(FeedForwardFactory inner, NormFactory norm, String name) {
        return (parameters, module, layer, hidden) -> {
            FeedForward feedForward = inner.create(parameters, module, layer, hidden);
            Norm post = norm.create(parameters, besides(module, name), hidden);
            return (x, adapter) -> post.forward(feedForward.forward(x, adapter)); // (B, T, H)
        };
    }

    /** {@code model.layers.3.self_attn}, {@code post_self_attn_layernorm} → {@code model.layers.3.post_self_attn_layernorm}. */
    static String besides(String module, String name) {
        int dot = module.lastIndexOf('.');
        return dot < 0 ? name : module.substring(0, dot + 1) + name;
    }
}
