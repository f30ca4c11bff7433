package dev.osprey.models.cohere;

import dev.osprey.model.spi.Attention;
import dev.osprey.model.spi.AttentionFactory;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.NormFactory;

/**
 * Cohere's parallel layer, {@code h + attn(norm(h)) + mlp(norm(h))}, on the platform's sequential decoder
 * ({@code h += attention(inputNorm(h)); h += feedForward(postAttentionNorm(h))}): the attention slot runs both
 * blocks on the one normed input and adds them; the feed-forward slot adds nothing and its norm is the identity
 * (a Cohere layer has no {@code post_attention_layernorm} and no second residual).
 */
final class ParallelBlock {

    private ParallelBlock() {}

    /** The MLP lives beside attention: {@code model.layers.N.self_attn} → {@code model.layers.N.mlp}. */
    static AttentionFactory attentionAndMlp(AttentionFactory attention, FeedForwardFactory mlp) {
        return (parameters, module, layer, hidden) -> {
            Attention a = attention.create(parameters, module, layer, hidden);
            FeedForward f = mlp.create(parameters, besides(module, "mlp"), layer, hidden);
            return (x, context) -> a.forward(x, context).add(f.forward(x, context.adapter())); // (B, T, H)
        };
    }

    /** The second residual's block: zero, so h passes unchanged. */
    static final FeedForwardFactory NOTHING = (parameters, module, layer, hidden) -> (x, adapter) -> x.zerosLike();

    /** No parameters: the (unused) input of {@link #NOTHING}. */
    static final NormFactory IDENTITY = (parameters, module, size) -> x -> x;

    /** {@code model.layers.3.self_attn}, {@code mlp} → {@code model.layers.3.mlp}. */
    static String besides(String module, String name) {
        int dot = module.lastIndexOf('.');
        return dot < 0 ? name : module.substring(0, dot + 1) + name;
    }
}
