package dev.osprey.model.blocks;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.model.spi.ExpertMix;
import dev.osprey.model.spi.Experts;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Projection;

/**
 * Top-k routed experts (Mixtral, Qwen3-MoE). Only the chosen experts run: tokens are gathered per
 * expert, each expert runs once on its tokens, and each token's outputs are gathered back and mixed
 * by its routing weights — no dense pass over all experts.
 */
public final class SparseMoe implements FeedForward {

    private final Experts spec;
    private final Projection router;
    private final List<GatedMlp> experts = new ArrayList<>();
    private final GatedMlp sharedExpert;
    private final Projection sharedGate;

    /** @param block the module name, e.g. {@code model.layers.0.block_sparse_moe} */
    public SparseMoe(Parameters p, String block, Experts spec, long hidden, boolean bias, String activation) {
        this.spec = spec;
        router = p.plainLinear(block + ".gate", hidden, spec.experts(), false);
        for (int e = 0; e < spec.experts(); e++) {
            experts.add(new GatedMlp(
                    p,
                    block + ".experts." + e,
                    spec.expertNames(),
                    hidden,
                    spec.expertIntermediate(),
                    bias,
                    false,
                    activation));
        }
        boolean shared = spec.sharedExpertIntermediate() > 0;
        sharedExpert = shared
                ? new GatedMlp(
                        p,
                        block + ".shared_expert",
                        spec.expertNames(),
                        hidden,
                        spec.sharedExpertIntermediate(),
                        bias,
                        false,
                        activation)
                : null;
        sharedGate = shared ? p.plainLinear(block + ".shared_expert_gate", hidden, 1, false) : null;
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        Shape shape = x.getShape(); // (B, T, H)
        long hidden = shape.get(2);
        int tokens = Math.toIntExact(shape.get(0) * shape.get(1));
        NDArray flat = x.reshape(tokens, hidden); // (N, H)
        NDArray probs =
                router.forward(flat, null).toType(DataType.FLOAT32, false).softmax(-1); // (N, E)
        NDList top = probs.topK(spec.topK(), -1, true, true); // values (N, k), indices (N, k)
        NDArray weights = top.get(0);
        if (spec.normTopkProb()) {
            weights = weights.div(weights.sum(new int[] {-1}, true));
        }
        long[] chosen = top.get(1).toLongArray(); // token t's j-th expert at t * k + j
        NDArray mixed = ExpertMix.mix(flat, chosen, weights, experts, adapter); // (N, H)
        if (sharedExpert != null) {
            NDArray gate = Activation.sigmoid(sharedGate.forward(flat, null)); // (N, 1)
            mixed = mixed.add(sharedExpert.forward(flat, adapter).mul(gate)); // (N, H)
        }
        return mixed.reshape(shape);
    }
}
