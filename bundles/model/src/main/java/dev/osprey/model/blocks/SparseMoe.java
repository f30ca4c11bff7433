package dev.osprey.model.blocks;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

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
        int k = spec.topK();
        // dispatch: the tokens of each expert, and where each (token, j) lands in the concatenated outputs
        List<List<Long>> byExpert = new ArrayList<>();
        for (int e = 0; e < spec.experts(); e++) {
            byExpert.add(new ArrayList<>());
        }
        for (int i = 0; i < chosen.length; i++) {
            byExpert.get((int) chosen[i]).add((long) (i / k));
        }
        long[] position = new long[chosen.length];
        int[] filled = new int[spec.experts()];
        int[] offset = new int[spec.experts()];
        for (int e = 1; e < spec.experts(); e++) {
            offset[e] = offset[e - 1] + byExpert.get(e - 1).size();
        }
        for (int i = 0; i < chosen.length; i++) {
            int e = (int) chosen[i];
            position[i] = offset[e] + filled[e]++;
        }
        NDManager m = x.getManager();
        NDList outputs = new NDList();
        for (int e = 0; e < spec.experts(); e++) {
            List<Long> rows = byExpert.get(e);
            if (!rows.isEmpty()) {
                NDArray idx = m.create(rows.stream().mapToLong(Long::longValue).toArray());
                outputs.add(experts.get(e).forward(flat.get(new NDIndex("{}", idx)), adapter)); // (n_e, H)
            }
        }
        NDArray all = NDArrays.concat(outputs, 0); // (N * k, H)
        NDArray picked = all.get(new NDIndex("{}", m.create(position, new Shape(tokens, k)))); // (N, k, H)
        NDArray mixed = picked.mul(weights.toType(x.getDataType(), false).expandDims(-1))
                .sum(new int[] {1}); // (N, H)
        if (sharedExpert != null) {
            NDArray gate = Activation.sigmoid(sharedGate.forward(flat, null)); // (N, 1)
            mixed = mixed.add(sharedExpert.forward(flat, adapter).mul(gate)); // (N, H)
        }
        return mixed.reshape(shape);
    }
}
