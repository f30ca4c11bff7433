package dev.osprey.models.telechat;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * TeleChat's SwiGLU, {@code down_proj(silu(gate_proj(x)) * up_proj(x))}, with a bias on {@code down_proj} only
 * (the built-in gated MLP biases all three projections or none).
 */
final class TeleChatMlp implements FeedForward {

    private final Projection gate;
    private final Projection up;
    private final Projection down;

    /**
     * @param module e.g. {@code transformer.h.0.mlp}
     * @param hidden the model width H
     * @param width {@code ffn_hidden_size}
     */
    TeleChatMlp(Parameters p, String module, int hidden, int width) {
        gate = p.linear(module + ".gate_proj", hidden, width, false);
        up = p.linear(module + ".up_proj", hidden, width, false);
        down = p.linear(module + ".down_proj", width, hidden, true);
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        NDArray g = gate.forward(x, adapter); // (B, T, ffn)
        NDArray silu = g.mul(Activation.sigmoid(g)); // (B, T, ffn); x·sigmoid(x) keeps autograd's operands
        return down.forward(silu.mul(up.forward(x, adapter)), adapter); // (B, T, H)
    }
}
