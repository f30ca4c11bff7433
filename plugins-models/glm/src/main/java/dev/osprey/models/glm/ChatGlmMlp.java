package dev.osprey.models.glm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * ChatGLM's SwiGLU: {@code dense_4h_to_h(silu(a) * b)} where {@code [a; b]} are the two halves of
 * {@code dense_h_to_4h(x)}, gate first (ChatGLM's {@code swiglu}: {@code chunk(2)}, {@code silu(x[0]) * x[1]}).
 */
final class ChatGlmMlp implements FeedForward {

    private final Projection up;
    private final Projection down;

    /**
     * @param module e.g. {@code transformer.encoder.layers.0.mlp}
     * @param hidden the model width H
     * @param width {@code ffn_hidden_size}
     * @param bias {@code add_bias_linear}
     */
    ChatGlmMlp(Parameters p, String module, int hidden, int width, boolean bias) {
        up = p.linear(module + ".dense_h_to_4h", hidden, 2L * width, bias);
        down = p.linear(module + ".dense_4h_to_h", width, hidden, bias);
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        NDList halves = up.forward(x, adapter).split(2, 2); // 2 × (B, T, ffn): gate, up
        NDArray gate = halves.get(0);
        NDArray silu = gate.mul(Activation.sigmoid(gate)); // (B, T, ffn); x·sigmoid(x) keeps autograd's operands
        return down.forward(silu.mul(halves.get(1)), adapter); // (B, T, H)
    }
}
