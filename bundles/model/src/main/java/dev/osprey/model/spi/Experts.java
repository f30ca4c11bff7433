package dev.osprey.model.spi;

import java.util.List;
import java.util.Set;

/**
 * A sparse mixture of experts (the built-in {@link Blocks#sparseMoe}): a router ({@code gate}) picks
 * {@code topK} of {@code experts} gated MLPs ({@code experts.N}) per token and mixes their outputs by its
 * probabilities.
 *
 * @param experts how many experts a sparse layer has
 * @param topK experts per token
 * @param normTopkProb renormalise the chosen experts' probabilities to sum to 1 (Mixtral always does)
 * @param expertIntermediate each expert's MLP width
 * @param expertNames each expert's gate, up and down projections: {@code w1, w3, w2} (Mixtral) or
 *        {@code gate_proj, up_proj, down_proj} (Qwen MoE)
 * @param denseLayers layers that keep the dense MLP instead ({@code mlp_only_layers}, {@code decoder_sparse_step})
 * @param sharedExpertIntermediate the width of an expert every token also runs, scaled by a sigmoid gate
 *        ({@code shared_expert}, {@code shared_expert_gate}: Qwen2-MoE), or 0 for none
 */
public record Experts(
        int experts,
        int topK,
        boolean normTopkProb,
        int expertIntermediate,
        List<String> expertNames,
        Set<Integer> denseLayers,
        int sharedExpertIntermediate) {

    public Experts {
        if (experts <= 0 || topK <= 0 || topK > experts) {
            throw new IllegalArgumentException(
                    "num_experts_per_tok (" + topK + ") must be between 1 and the number of experts (" + experts + ")");
        }
        if (expertIntermediate <= 0) {
            throw new IllegalArgumentException(
                    "the experts' intermediate size must be positive, was " + expertIntermediate);
        }
        if (expertNames.size() != 3) {
            throw new IllegalArgumentException(
                    "an expert has three projections (gate, up, down), named " + expertNames);
        }
        expertNames = List.copyOf(expertNames);
        denseLayers = Set.copyOf(denseLayers);
    }
}
