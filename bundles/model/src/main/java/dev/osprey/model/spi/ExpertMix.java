package dev.osprey.model.spi;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The dispatch half of a family's own mixture of experts: each token runs through the experts its router chose and
 * their outputs are mixed by the router's weights. The tokens of one expert go through it together and only chosen
 * experts run; how experts are chosen and weighted (softmax or sigmoid, groups, correction biases) stays the
 * family's. Autograd flows through the experts and the weights.
 */
public final class ExpertMix {

    private ExpertMix() {}

    /**
     * @param flat (N, H) the tokens
     * @param chosen (N·k) the experts, token n's j-th at {@code n·k + j}
     * @param weights (N, k) their weights
     * @param experts the experts by index
     * @param adapter the LoRA adapter of this pass, or null
     * @return (N, H) each token's weighted sum of its experts' outputs
     */
    public static NDArray mix(
            NDArray flat, long[] chosen, NDArray weights, List<? extends FeedForward> experts, String adapter) {
        int tokens = Math.toIntExact(flat.getShape().get(0));
        int k = Math.toIntExact(weights.getShape().get(1));
        // the tokens of each expert, and where each (token, j) lands in the concatenated outputs
        List<List<Long>> byExpert = new ArrayList<>();
        for (int e = 0; e < experts.size(); e++) {
            byExpert.add(new ArrayList<>());
        }
        for (int i = 0; i < chosen.length; i++) {
            byExpert.get((int) chosen[i]).add((long) (i / k));
        }
        int[] offset = new int[experts.size()];
        for (int e = 1; e < experts.size(); e++) {
            offset[e] = offset[e - 1] + byExpert.get(e - 1).size();
        }
        int[] filled = new int[experts.size()];
        long[] position = new long[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            int e = (int) chosen[i];
            position[i] = offset[e] + filled[e]++;
        }
        NDManager m = flat.getManager();
        NDList outputs = new NDList();
        for (int e = 0; e < experts.size(); e++) {
            List<Long> rows = byExpert.get(e);
            if (!rows.isEmpty()) {
                NDArray idx = OwnedIndex.of(
                        m, rows.stream().mapToLong(Long::longValue).toArray());
                outputs.add(experts.get(e).forward(flat.get(new NDIndex("{}", idx)), adapter)); // (n_e, H)
            }
        }
        NDArray all = NDArrays.concat(outputs, 0); // (N·k, H)
        NDArray picked = all.get(new NDIndex("{}", OwnedIndex.of(m, position, new Shape(tokens, k)))); // (N, k, H)
        return picked.mul(weights.toType(flat.getDataType(), false).expandDims(-1))
                .sum(new int[] {1}); // (N, H)
    }
}
