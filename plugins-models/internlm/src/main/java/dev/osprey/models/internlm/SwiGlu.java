package dev.osprey.models.internlm;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * InternLM2's feed-forward block, {@code w2(silu(w1(x)) * w3(x))}: Llama's MLP under InternLM's names (w1 the
 * gate, w3 the up, w2 the down projection), which LoRA adapters on these models target.
 */
final class SwiGlu implements FeedForward {

    private final Projection w1;
    private final Projection w3;
    private final Projection w2;

    /**
     * @param module e.g. {@code model.layers.0.feed_forward}
     * @param hidden the model width H
     * @param intermediate {@code intermediate_size}
     */
    SwiGlu(Parameters p, String module, int hidden, int intermediate) {
        w1 = p.linear(module + ".w1", hidden, intermediate, false);
        w3 = p.linear(module + ".w3", hidden, intermediate, false);
        w2 = p.linear(module + ".w2", intermediate, hidden, false);
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        NDArray gate = w1.forward(x, adapter); // (B, T, I)
        // SiLU as x·sigmoid(x): DJL's swish(x, 1) multiplies by a number autograd cannot keep
        NDArray activated = gate.mul(Activation.sigmoid(gate)); // (B, T, I)
        return w2.forward(activated.mul(w3.forward(x, adapter)), adapter); // (B, T, H)
    }
}
