package dev.osprey.models.qwen1;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Qwen-1's SwiGLU: {@code c_proj(w1(x) * silu(w2(x)))}, so {@code w2} is the gated projection and {@code w1}
 * the plain one (as in vLLM's model_executor/models/qwen.py, whose QWenMLP loads {@code [w2; w1]} into its
 * gate_up_proj and applies SiluAndMul to the first half; llama.cpp's convert_hf_to_gguf.py QwenModel maps w2 to
 * ffn_gate and w1 to ffn_up).
 */
final class Qwen1Mlp implements FeedForward {

    private final Projection w1;
    private final Projection w2;
    private final Projection down;

    /**
     * @param module the MLP's module name, e.g. {@code transformer.h.0.mlp}
     * @param hidden the model width H
     * @param width the MLP width ({@code intermediate_size / 2})
     * @param bias biases on w1, w2 and c_proj ({@code !no_bias})
     */
    Qwen1Mlp(Parameters p, String module, int hidden, int width, boolean bias) {
        w1 = p.linear(module + ".w1", hidden, width, bias);
        w2 = p.linear(module + ".w2", hidden, width, bias);
        down = p.linear(module + ".c_proj", width, hidden, bias);
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        NDArray gate = w2.forward(x, adapter); // (B, T, ff)
        NDArray silu = gate.mul(Activation.sigmoid(gate)); // (B, T, ff); sigmoid, not swish(x, 1), keeps autograd
        return down.forward(w1.forward(x, adapter).mul(silu), adapter); // (B, T, H)
    }
}
