package dev.osprey.model.decoder;

import java.util.List;
import java.util.Set;

/**
 * A sparse mixture-of-experts feed-forward block: a router picks {@code topK} of {@code experts} gated
 * MLPs per token and mixes their outputs by the router's probabilities.
 *
 * @param experts how many experts each sparse layer has
 * @param topK experts per token
 * @param normTopkProb renormalise the chosen experts' probabilities to sum to 1 (Mixtral always does)
 * @param expertIntermediate each expert's MLP width
 * @param blockName the module name under the layer: {@code block_sparse_moe} (Mixtral) or {@code mlp} (Qwen MoE)
 * @param expertNames the names of each expert's gate, up and down projections: {@code w1, w3, w2} (Mixtral)
 *        or {@code gate_proj, up_proj, down_proj} (Qwen MoE)
 * @param denseLayers layers that keep a dense MLP of {@code intermediate_size} ({@code mlp_only_layers})
 * @param sharedExpertIntermediate the width of an expert every token also runs, scaled by a sigmoid gate
 *        ({@code shared_expert}, {@code shared_expert_gate}: Qwen2-MoE), or 0 for none
 */
public record MoeSpec(
        int experts,
        int topK,
        boolean normTopkProb,
        int expertIntermediate,
        String blockName,
        List<String> expertNames,
        Set<Integer> denseLayers,
        int sharedExpertIntermediate) {

    /** Experts without a shared one (Mixtral, Qwen3-MoE). */
    public MoeSpec(
            int experts,
            int topK,
            boolean normTopkProb,
            int expertIntermediate,
            String blockName,
            List<String> expertNames,
            Set<Integer> denseLayers) {
        this(experts, topK, normTopkProb, expertIntermediate, blockName, expertNames, denseLayers, 0);
    }

    public MoeSpec {
        if (experts <= 0 || topK <= 0 || topK > experts) {
            throw new IllegalArgumentException(
                    "num_experts_per_tok (" + topK + ") must be between 1 and the number of experts (" + experts + ")");
        }
        if (expertIntermediate <= 0) {
            throw new IllegalArgumentException(
                    "the experts' intermediate size must be positive, was " + expertIntermediate);
        }
        expertNames = List.copyOf(expertNames);
        denseLayers = Set.copyOf(denseLayers);
    }
}
