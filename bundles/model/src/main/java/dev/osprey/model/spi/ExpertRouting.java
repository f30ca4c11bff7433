package dev.osprey.model.spi;

import java.util.Arrays;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.osprey.api.engine.Scalars;

/**
 * The choice half of a family's own mixture of experts, for the routers several families share; {@link ExpertMix}
 * then runs the chosen experts. The choice is made on the host (it has no gradient); the weights are gathered from
 * the scores on the device, so the router trains.
 */
public final class ExpertRouting {

    private ExpertRouting() {}

    /**
     * The experts each token runs and their weights.
     *
     * @param chosen (N·k) expert indices, token n's j-th at {@code n·k + j}
     * @param weights (N, k) their weights, float32
     */
    public record Choice(long[] chosen, NDArray weights) {}

    /**
     * DeepSeek-V3's router (also GLM-4-MoE's and dots.llm1's): sigmoid scores; {@code e_score_correction_bias}
     * added only to choose; the {@code topk_group} of {@code n_group} groups with the highest sum of their two best
     * biased scores kept (the others masked); the top {@code num_experts_per_tok} of the kept experts chosen; their
     * unbiased scores, renormalised when {@code norm_topk_prob}, times {@code routed_scaling_factor}.
     *
     * @param logits (N, E) the router's logits, float32
     * @param correctionBias (E) {@code e_score_correction_bias}, or null for none
     * @param topK {@code num_experts_per_tok}
     * @param groups {@code n_group}; every group must hold at least two experts when {@code topkGroup < groups}
     * @param topkGroup {@code topk_group}
     * @param normTopkProb {@code norm_topk_prob}
     * @param scalingFactor {@code routed_scaling_factor}
     * @return the chosen experts and their (N, k) weights
     */
    public static Choice sigmoidGroupLimited(
            NDArray logits,
            NDArray correctionBias,
            int topK,
            int groups,
            int topkGroup,
            boolean normTopkProb,
            double scalingFactor) {
        int n = Math.toIntExact(logits.getShape().get(0));
        int e = Math.toIntExact(logits.getShape().get(1));
        NDArray scores = Activation.sigmoid(logits); // (N, E)
        float[] all = scores.toFloatArray();
        float[] bias = correctionBias != null
                ? correctionBias.toType(DataType.FLOAT32, false).toFloatArray()
                : new float[e];
        int perGroup = e / groups;
        long[] chosen = new long[n * topK];
        float[] choice = new float[e];
        float[] groupScore = new float[groups];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < e; i++) {
                choice[i] = all[t * e + i] + bias[i];
            }
            if (topkGroup < groups) {
                for (int g = 0; g < groups; g++) {
                    float[] members = Arrays.copyOfRange(choice, g * perGroup, (g + 1) * perGroup);
                    Arrays.sort(members);
                    groupScore[g] = members[perGroup - 1] + members[perGroup - 2];
                }
                boolean[] kept = new boolean[groups];
                for (int g : top(groupScore, topkGroup)) {
                    kept[g] = true;
                }
                for (int i = 0; i < e; i++) {
                    if (!kept[i / perGroup]) {
                        choice[i] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            int[] best = top(choice, topK);
            for (int j = 0; j < best.length; j++) {
                chosen[t * topK + j] = best[j];
            }
        }
        NDManager m = logits.getManager();
        NDArray weights = scores.gather(m.create(chosen, new Shape(n, topK)), 1); // (N, k)
        if (normTopkProb) {
            weights = weights.div(Scalars.add(weights.sum(new int[] {-1}, true), 1e-20f)); // (N, k)
        }
        return new Choice(chosen, Scalars.mul(weights, (float) scalingFactor));
    }

    /**
     * @param values the scores
     * @param count how many to take, at most {@code values.length}
     * @return the indices of the {@code count} largest values, largest first (the lower index on ties)
     */
    public static int[] top(float[] values, int count) {
        boolean[] taken = new boolean[values.length];
        int[] best = new int[count];
        for (int j = 0; j < count; j++) {
            int arg = -1;
            for (int i = 0; i < values.length; i++) {
                if (!taken[i] && (arg < 0 || values[i] > values[arg])) {
                    arg = i;
                }
            }
            taken[arg] = true;
            best[j] = arg;
        }
        return best;
    }
}
