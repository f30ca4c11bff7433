package dev.osprey.models.deepseek;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.osprey.api.engine.Scalars;
import dev.osprey.api.model.ModelConfig;
import dev.osprey.model.spi.Blocks;
import dev.osprey.model.spi.ExpertMix;
import dev.osprey.model.spi.ExpertRouting;
import dev.osprey.model.spi.FeedForward;
import dev.osprey.model.spi.FeedForwardFactory;
import dev.osprey.model.spi.Parameters;
import dev.osprey.model.spi.Weight;

/**
 * DeepSeekMoE: {@code n_routed_experts} small gated MLPs ({@code experts.N}) of which a router ({@code gate})
 * picks {@code num_experts_per_tok} per token, plus {@code n_shared_experts} fused into one MLP
 * ({@code shared_experts}) that every token runs. Only the chosen experts run, each once on its tokens.
 *
 * <p>Routing follows transformers: V2 takes a softmax over the router logits and picks the top k of all
 * experts ({@code greedy}) or of the {@code topk_group} groups with the highest best score
 * ({@code group_limited_greedy}); V3 takes sigmoids, adds {@code e_score_correction_bias} only to choose,
 * keeps the {@code topk_group} of {@code n_group} groups with the highest sum of their two best scores,
 * and optionally renormalises the chosen weights ({@code norm_topk_prob}). Both multiply the weights by
 * {@code routed_scaling_factor}. The choice is made on the host (it has no gradient); the weights are
 * gathered from the scores on the device, so the router trains.
 */
final class DeepseekMoe implements FeedForward {

    /** How a router turns logits into scores and picks experts. */
    enum Routing {
        /** V2 {@code topk_method: greedy}: softmax, the top k of all experts. */
        SOFTMAX_GREEDY,
        /** V2 {@code topk_method: group_limited_greedy}: softmax, groups ranked by their best score. */
        SOFTMAX_GROUP_LIMITED,
        /** V3: sigmoid plus a correction bias to choose, groups ranked by the sum of their two best scores. */
        SIGMOID_BIASED_GROUPS
    }

    /**
     * The experts of one sparse layer.
     *
     * @param experts {@code n_routed_experts}
     * @param topK {@code num_experts_per_tok}
     * @param groups {@code n_group} (1 when absent)
     * @param topkGroup {@code topk_group} (all groups when absent)
     * @param routing how experts are scored and picked
     * @param normTopkProb {@code norm_topk_prob} (V3 only)
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
            Routing routing,
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
            if (routing == Routing.SIGMOID_BIASED_GROUPS && experts / groups < 2) {
                throw new IllegalArgumentException("DeepSeek-V3 ranks a group by its two best experts: n_group ("
                        + groups + ") must leave at least two of n_routed_experts (" + experts + ") per group");
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

        /** Reads the expert fields; {@code routing} is the family's (V2 reads it from {@code topk_method}). */
        static Spec from(ModelConfig c, Routing routing, boolean normTopkProb, String activation) {
            int groups = c.getInt(1, "n_group");
            return new Spec(
                    c.requireInt("n_routed_experts"),
                    c.requireInt("num_experts_per_tok"),
                    groups,
                    c.getInt(groups, "topk_group"),
                    routing,
                    normTopkProb,
                    c.getDouble(1.0, "routed_scaling_factor"),
                    c.requireInt("moe_intermediate_size"),
                    c.getInt(0, "n_shared_experts"),
                    activation);
        }

        /** The dense MLP in the first {@code firstDense} layers ({@code first_k_dense_replace}), experts after. */
        FeedForwardFactory factory(int firstDense, FeedForwardFactory dense) {
            return (parameters, module, layer, hidden) -> layer < firstDense
                    ? dense.create(parameters, module, layer, hidden)
                    : new DeepseekMoe(parameters, module, layer, hidden, this);
        }
    }

    private final Spec spec;
    private final Weight router;
    private final Weight correctionBias;
    private final List<FeedForward> experts = new ArrayList<>();
    private final FeedForward shared;

    /** @param block the module name, e.g. {@code model.layers.1.mlp} */
    DeepseekMoe(Parameters p, String block, int layer, int hidden, Spec spec) {
        this.spec = spec;
        router = p.normal(block + ".gate.weight", spec.experts(), hidden);
        correctionBias = spec.routing() == Routing.SIGMOID_BIASED_GROUPS
                ? p.zeros(block + ".gate.e_score_correction_bias", spec.experts())
                : null;
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
        int k = spec.topK();
        NDArray flat = x.reshape(tokens, hidden); // (N, H)
        // the router runs in float32 whatever the model's type, as transformers runs it
        NDArray logits = flat.toType(DataType.FLOAT32, false)
                .matMul(router.get().toType(DataType.FLOAT32, false).transpose()); // (N, E)
        long[] chosen; // token n's j-th expert at n·k + j
        NDArray weights; // (N, k)
        if (spec.routing() == Routing.SIGMOID_BIASED_GROUPS) {
            ExpertRouting.Choice choice = ExpertRouting.sigmoidGroupLimited(
                    logits,
                    correctionBias.get(),
                    k,
                    spec.groups(),
                    spec.topkGroup(),
                    spec.normTopkProb(),
                    spec.scalingFactor());
            chosen = choice.chosen();
            weights = choice.weights();
        } else {
            NDArray scores = logits.softmax(-1); // (N, E)
            chosen = choose(scores);
            NDManager m = x.getManager();
            weights = scores.gather(m.create(chosen, new Shape(tokens, k)), 1); // (N, k)
            if (spec.normTopkProb()) {
                weights = weights.div(Scalars.add(weights.sum(new int[] {-1}, true), 1e-20f)); // (N, k)
            }
            weights = Scalars.mul(weights, (float) spec.scalingFactor());
        }

        NDArray mixed = ExpertMix.mix(flat, chosen, weights, experts, adapter); // (N, H)
        if (shared != null) {
            mixed = mixed.add(shared.forward(flat, adapter)); // (N, H)
        }
        return mixed.reshape(shape);
    }

    /**
     * The experts each token is routed to by V2's softmax router.
     *
     * @param scores (N, E) the router's softmax scores
     * @return (N·k) expert indices, token by token
     */
    private long[] choose(NDArray scores) {
        int n = Math.toIntExact(scores.getShape().get(0));
        int e = spec.experts();
        float[] all = scores.toFloatArray();
        int perGroup = e / spec.groups();
        long[] chosen = new long[n * spec.topK()];
        float[] choice = new float[e];
        float[] groupScore = new float[spec.groups()];
        for (int t = 0; t < n; t++) {
            System.arraycopy(all, t * e, choice, 0, e);
            if (spec.routing() == Routing.SOFTMAX_GROUP_LIMITED && spec.topkGroup() < spec.groups()) {
                for (int g = 0; g < spec.groups(); g++) {
                    float[] members = Arrays.copyOfRange(choice, g * perGroup, (g + 1) * perGroup);
                    Arrays.sort(members);
                    groupScore[g] = members[perGroup - 1];
                }
                boolean[] kept = new boolean[spec.groups()];
                for (int g : ExpertRouting.top(groupScore, spec.topkGroup())) {
                    kept[g] = true;
                }
                for (int i = 0; i < e; i++) {
                    if (!kept[i / perGroup]) {
                        choice[i] = 0f; // V2 masks with 0, below every softmax score
                    }
                }
            }
            int[] best = ExpertRouting.top(choice, spec.topK());
            for (int j = 0; j < best.length; j++) {
                chosen[t * spec.topK() + j] = best[j];
            }
        }
        return chosen;
    }
}
