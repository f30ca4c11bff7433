package dev.osprey.models.glm;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.ExpertMix;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/**
 * GLM-4-MoE's sparse layer: {@code n_routed_experts} gated MLPs ({@code experts.N}) of which DeepSeek-V3's sigmoid
 * router ({@code gate}, with {@code e_score_correction_bias} and {@code n_group}/{@code topk_group};
 * {@link ExpertRouting#sigmoidGroupLimited}) picks {@code num_experts_per_tok} per token, plus
 * {@code n_shared_experts} fused into one MLP ({@code shared_experts}) that every token runs.
 */
final class Glm4MoeExperts implements FeedForward {

    /**
     * @param experts {@code n_routed_experts}
     * @param topK {@code num_experts_per_tok}
     * @param groups {@code n_group}
     * @param topkGroup {@code topk_group}
     * @param normTopkProb {@code norm_topk_prob}
     * @param scalingFactor {@code routed_scaling_factor}
     * @param expertIntermediate {@code moe_intermediate_size}
     * @param sharedExperts {@code n_shared_experts} (0 for none)
     * @param activation {@code hidden_act}
     */
    record Spec(
            int experts,
            int topK,
            int groups,
            int topkGroup,
            boolean normTopkProb,
            double scalingFactor,
            int expertIntermediate,
            int sharedExperts,
            String activation) {

        Spec {
            if (experts <= 0) {
                throw new IllegalArgumentException("config field 'n_routed_experts' must be positive, was " + experts);
            }
            if (topK <= 0 || topK > experts) {
                throw new IllegalArgumentException("config field 'num_experts_per_tok' (" + topK
                        + ") must be between 1 and n_routed_experts (" + experts + ")");
            }
            if (groups <= 0 || experts % groups != 0) {
                throw new IllegalArgumentException(
                        "config field 'n_group' (" + groups + ") must divide n_routed_experts (" + experts + ")");
            }
            if (topkGroup <= 0 || topkGroup > groups) {
                throw new IllegalArgumentException(
                        "config field 'topk_group' (" + topkGroup + ") must be between 1 and n_group (" + groups + ")");
            }
            if (topK > topkGroup * (experts / groups)) {
                throw new IllegalArgumentException("config field 'num_experts_per_tok' (" + topK
                        + ") exceeds the experts of topk_group (" + topkGroup + ") groups");
            }
            if (topkGroup < groups && experts / groups < 2) {
                throw new IllegalArgumentException("a group is ranked by its two best experts: n_group (" + groups
                        + ") must leave at least two of n_routed_experts (" + experts + ") per group");
            }
            if (expertIntermediate <= 0) {
                throw new IllegalArgumentException(
                        "config field 'moe_intermediate_size' must be positive, was " + expertIntermediate);
            }
            if (sharedExperts < 0) {
                throw new IllegalArgumentException(
                        "config field 'n_shared_experts' must not be negative, was " + sharedExperts);
            }
        }

        /** Reads the expert fields with transformers' defaults. */
        static Spec from(ModelConfig c, String activation) {
            return new Spec(
                    c.requireInt("n_routed_experts"),
                    c.requireInt("num_experts_per_tok"),
                    c.getInt(1, "n_group"),
                    c.getInt(1, "topk_group"),
                    c.getBoolean(true, "norm_topk_prob"),
                    c.getDouble(1.0, "routed_scaling_factor"),
                    c.requireInt("moe_intermediate_size"),
                    c.getInt(1, "n_shared_experts"),
                    activation);
        }

        /** The dense MLP in the first {@code firstDense} layers ({@code first_k_dense_replace}), experts after. */
        FeedForwardFactory factory(int firstDense, FeedForwardFactory dense) {
            return (parameters, module, layer, hidden) -> layer < firstDense
                    ? dense.create(parameters, module, layer, hidden)
                    : new Glm4MoeExperts(parameters, module, layer, hidden, this);
        }
    }

    private final Spec spec;
    private final Weight router;
    private final Weight correctionBias;
    private final List<FeedForward> experts = new ArrayList<>();
    private final FeedForward shared;

    /** @param block the module name, e.g. {@code model.layers.1.mlp} */
    Glm4MoeExperts(Parameters p, String block, int layer, int hidden, Spec spec) {
        this.spec = spec;
        router = p.normal(block + ".gate.weight", spec.experts(), hidden);
        correctionBias = p.zeros(block + ".gate.e_score_correction_bias", spec.experts());
        FeedForwardFactory expert = Blocks.gatedMlp(spec.expertIntermediate(), false, false, spec.activation());
        for (int e = 0; e < spec.experts(); e++) {
            experts.add(expert.create(p, block + ".experts." + e, layer, hidden));
        }
        shared = spec.sharedExperts() > 0
                ? Blocks.gatedMlp(spec.expertIntermediate() * spec.sharedExperts(), false, false, spec.activation())
                        .create(p, block + ".shared_experts", layer, hidden)
                : null;
    }

    @Override
    public NDArray forward(NDArray x, String adapter) {
        Shape shape = x.getShape(); // (B, T, H)
        long hidden = shape.get(2);
        int tokens = Math.toIntExact(shape.get(0) * shape.get(1));
        NDArray flat = x.reshape(tokens, hidden); // (N, H)
        // the router runs in float32 whatever the model's type, as transformers runs it
        NDArray logits = flat.toType(DataType.FLOAT32, false)
                .matMul(router.get().toType(DataType.FLOAT32, false).transpose()); // (N, E)
        ExpertRouting.Choice choice = ExpertRouting.sigmoidGroupLimited(
                logits,
                correctionBias.get(),
                spec.topK(),
                spec.groups(),
                spec.topkGroup(),
                spec.normTopkProb(),
                spec.scalingFactor());
        NDArray mixed = ExpertMix.mix(flat, choice.chosen(), choice.weights(), experts, adapter); // (N, H)
        if (shared != null) {
            mixed = mixed.add(shared.forward(flat, adapter)); // (N, H)
        }
        return mixed.reshape(shape);
    }
}
