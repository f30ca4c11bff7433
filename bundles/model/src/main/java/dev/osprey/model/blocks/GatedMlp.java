package dev.osprey.model.blocks;

import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * {@code down(act(gate(x)) * up(x))}: SwiGLU (silu) or GeGLU (tanh GELU). Phi-3 stores gate and up as one
 * {@code gate_up_proj}, gate first.
 */
public final class GatedMlp implements FeedForward {

    private final Projection gate;
    private final Projection up;
    private final Projection gateUp;
    private final Projection down;
    private final String activation;

    /**
     * @param names the gate, up and down module names under {@code module}
     * @param fused one {@code gate_up_proj} instead of gate and up
     */
    public GatedMlp(
            Parameters p,
            String module,
            List<String> names,
            long hidden,
            long inter,
            boolean bias,
            boolean fused,
            String activation) {
        this.activation = activation;
        if (fused) {
            gateUp = p.linear(module + ".gate_up_proj", hidden, 2 * inter, bias);
            gate = null;
            up = null;
        } else {
            gateUp = null;
            gate = p.linear(module + "." + names.get(0), hidden, inter, bias);
            up = p.linear(module + "." + names.get(1), hidden, inter, bias);
        }
        down = p.linear(module + "." + names.get(2), inter, hidden, bias);
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        NDArray g;
        NDArray u;
        if (gateUp != null) {
            NDArray fused = gateUp.forward(x, adapter); // (..., 2 * inter)
            NDList halves = fused.split(2, fused.getShape().dimension() - 1); // 2 × (..., inter)
            g = halves.get(0);
            u = halves.get(1);
        } else {
            g = gate.forward(x, adapter);
            u = up.forward(x, adapter);
        }
        return down.forward(activate(g).mul(u), adapter);
    }

    private NDArray activate(NDArray x) {
        if (activation.equals("silu")) {
            return x.mul(Activation.sigmoid(
                    x)); // SiLU; DJL's swish(x, 1) multiplies by a number autograd cannot keep (Scalars)
        }
        // GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))
        NDArray inner = Scalars.mul(x.add(Scalars.mul(Scalars.pow(x, 3), 0.044715f)), (float) Math.sqrt(2 / Math.PI));
        return Scalars.mul(x, 0.5f).mul(Scalars.add(inner.tanh(), 1f));
    }
}
